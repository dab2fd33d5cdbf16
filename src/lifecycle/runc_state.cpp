#include "runc_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "isolcpus/ledger.hpp"  // kHookRoot
#include "isolcpus/text.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

constexpr off_t kMaxStateBytes = 8 << 20;

// runc's state.json, read under the node lock: never a FIFO, a device or a
// symlink (O_NONBLOCK, O_NOFOLLOW, a regular file of bounded size), and only
// one this user wrote (runc runs as root and keeps its state dirs 0711): a
// state planted by someone else could name any process as a container's
// init and keep its CPUs claimed.  nullopt when there is no state.
Expected<std::optional<std::string>> read_state_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return std::optional<std::string>{};
    }
    return make_error("cannot read runc state " + path.string() + ": " +
                      std::generic_category().message(errno));
  }
  struct stat st {};
  struct stat dir {};
  if (::fstat(fd.get(), &st) != 0 || ::lstat(path.parent_path().c_str(), &dir) != 0) {
    return make_error("cannot stat runc state " + path.string() + ": " +
                      std::generic_category().message(errno));
  }
  if (!S_ISREG(st.st_mode) || st.st_size > kMaxStateBytes) {
    return make_error("runc state " + path.string() + " is not a regular file of at most 8 MiB; ignored");
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me || dir.st_uid != me || (st.st_mode & 022) != 0 || (dir.st_mode & 022) != 0) {
    return make_error("runc state " + path.string() +
                      " is not owned by this user or is writable by others: not runc's; ignored");
  }
  std::string text;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return make_error("cannot read runc state " + path.string() + ": " +
                        std::generic_category().message(errno));
    }
    if (n == 0 || text.size() > static_cast<std::size_t>(kMaxStateBytes)) {
      break;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  return std::optional<std::string>{std::move(text)};
}

}  // namespace

bool valid_container_id(std::string_view id) {
  if (id.empty() || id == "." || id == ".." || id.size() > 1024) {
    return false;
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '+' || c == '-' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Expected<std::optional<RuncState>> read_runc_state(const fs::path& root, std::string_view id) {
  if (!valid_container_id(id)) {
    return make_error("invalid container id \"" + std::string(id) + "\"");
  }
  if (!root.is_absolute() || root == kHookRoot) {
    // A relative root would be read from the caller's working directory,
    // where anyone may have planted a state.json; hook entries have none.
    return make_error("no runc state is read under \"" + root.string() + "\": not a runc root");
  }
  const auto path = root / std::string(id) / "state.json";
  auto read = read_state_file(path);
  if (!read) {
    return read.error();
  }
  if (!*read) {
    return std::optional<RuncState>{};
  }
  const auto& text = *read;
  try {
    const auto doc = nlohmann::json::parse(*text);
    RuncState state;
    state.init_pid = doc.at("init_process_pid").get<int>();
    state.init_start_ticks = doc.at("init_process_start").get<std::uint64_t>();
    if (doc.contains("config") && doc["config"].contains("labels") && doc["config"]["labels"].is_array()) {
      for (const auto& label : doc["config"]["labels"]) {
        if (label.is_string() && label.get<std::string>().starts_with("bundle=")) {
          state.bundle = label.get<std::string>().substr(7);
        }
      }
    }
    std::error_code ec;
    state.started = !fs::exists(root / std::string(id) / "exec.fifo", ec) && !ec;
    return std::optional<RuncState>{state};
  } catch (const std::exception& e) {
    return make_error("cannot read runc state " + path.string() + ": " + e.what());
  }
}

std::optional<std::uint64_t> process_start_ticks(const fs::path& proc, int pid) {
  if (pid <= 0) {
    return std::nullopt;
  }
  auto text = read_file_if_any(proc / std::to_string(pid) / "stat");
  if (!text) {
    return std::nullopt;
  }
  // The command name (field 2) may contain spaces and parentheses: count
  // fields from the last ')'.
  const auto close = text->rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(text->substr(close + 2));
  std::string field;
  // Field 3 is the state: a zombie (or dead) init has exited even if nobody
  // reaped it yet, and runc itself calls such a container stopped.
  if (!(fields >> field) || field == "Z" || field == "X" || field == "x") {
    return std::nullopt;
  }
  for (int i = 4; i <= 22 && (fields >> field); ++i) {
    if (i == 22) {
      return std::stoull(field);
    }
  }
  return std::nullopt;
}

Expected<std::string> process_cpuset_cgroup(const fs::path& proc, int pid, CgroupMode mode) {
  const auto path = proc / std::to_string(pid) / "cgroup";
  auto text = read_file_if_any(path);
  if (!text) {
    return make_error("cannot read " + path.string() + " (process gone?)");
  }
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      continue;
    }
    const std::string hierarchy = line.substr(0, first);
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string cgroup = line.substr(second + 1);
    if (mode == CgroupMode::kV2 && hierarchy == "0" && controllers.empty()) {
      return cgroup;
    }
    if (mode == CgroupMode::kV1) {
      std::istringstream list(controllers);
      std::string controller;
      while (std::getline(list, controller, ',')) {
        if (controller == "cpuset") {
          return cgroup;
        }
      }
    }
  }
  return make_error(path.string() + " lists no " + (mode == CgroupMode::kV2 ? "cgroup v2" : "cpuset") +
                    " hierarchy for process " + std::to_string(pid));
}

}  // namespace isolcpus
