#include "runc_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "isolcpus/ledger.hpp"        // kHookRoot
#include "isolcpus/node_session.hpp"  // valid_container_id
#include "isolcpus/read_to_end.hpp"
#include "isolcpus/text.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

constexpr off_t kMaxStateBytes = 8 << 20;

// A runtime's state file, read under the node lock: never a FIFO, a device
// or a symlink (O_NONBLOCK, O_NOFOLLOW, a regular file of bounded size), and
// only one this user wrote (runc runs as root and keeps its state dirs 0711,
// crun 0700): a state planted by someone else could name any process as a
// container's init and keep its CPUs claimed.  nullopt when there is no file.
Expected<std::optional<std::string>> read_state_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return std::optional<std::string>{};
    }
    return make_error("cannot read runtime state " + path.string() + ": " +
                      std::generic_category().message(errno));
  }
  struct stat st {};
  struct stat dir {};
  if (::fstat(fd.get(), &st) != 0 || ::lstat(path.parent_path().c_str(), &dir) != 0) {
    return make_error("cannot stat runtime state " + path.string() + ": " +
                      std::generic_category().message(errno));
  }
  if (!S_ISREG(st.st_mode) || st.st_size > kMaxStateBytes) {
    return make_error("runtime state " + path.string() + " is not a regular file of at most 8 MiB; ignored");
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me || dir.st_uid != me || (st.st_mode & 022) != 0 || (dir.st_mode & 022) != 0) {
    return make_error("runtime state " + path.string() +
                      " is not owned by this user or is writable by others: not the runtime's; ignored");
  }
  auto read = read_to_end(fd.get(), static_cast<std::size_t>(kMaxStateBytes));
  if (read.end == ReadToEnd::End::failed) {
    return make_error("cannot read runtime state " + path.string() + ": " +
                      std::generic_category().message(read.err));
  }
  if (read.end == ReadToEnd::End::too_large) {
    return make_error("runtime state " + path.string() + " grew past 8 MiB while being read; ignored");
  }
  return std::optional<std::string>{std::move(read.bytes)};
}

// nlohmann's parse, its error without the "[json.exception.parse_error.101] ".
Expected<nlohmann::json> parse_json(std::string_view json_text, std::string_view origin) {
  try {
    return nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    std::string_view what = e.what();
    if (const auto close = what.find("] "); what.starts_with("[json.exception.") && close != what.npos) {
      what.remove_prefix(close + 2);
    }
    return make_error(std::string(origin) + ": invalid JSON: " + std::string(what));
  }
}

// Checked before conversion: nlohmann converts a float or an out-of-range
// number with a plain cast, which is undefined for 1e300.
std::optional<int> as_int(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    return v <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())
               ? std::optional<int>(static_cast<int>(v))
               : std::nullopt;
  }
  if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    return v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max()
               ? std::optional<int>(static_cast<int>(v))
               : std::nullopt;
  }
  return std::nullopt;
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

namespace {

// The two runtimes' state documents differ in key names only where it
// matters here: the init's PID and its start time.
struct StateKeys {
  std::string_view pid;
  std::string_view start;
  std::string_view what;  // for messages: "runc's state.json"
};

Error state_error(std::string_view origin, std::string_view key, std::string_view expected,
                  const StateKeys& keys) {
  return make_error(std::string(origin) + ": " + std::string(key) + ": expected " + std::string(expected) +
                    " (is this " + std::string(keys.what) + "?)");
}

// Parses the document and reads the init; the caller reads the rest of doc.
Expected<RuncState> parse_init(std::string_view json_text, std::string_view origin, const StateKeys& keys,
                               nlohmann::json& doc) {
  auto parsed = parse_json(json_text, origin);
  if (!parsed) {
    return parsed.error();
  }
  doc = std::move(*parsed);
  if (!doc.is_object()) {
    return state_error(origin, "(top level)", "an object", keys);
  }
  const auto pid = doc.find(keys.pid);
  const std::optional<int> pid_value = pid == doc.end() ? std::nullopt : as_int(*pid);
  if (!pid_value) {
    return state_error(origin, keys.pid, "a process ID", keys);
  }
  const auto start = doc.find(keys.start);
  if (start == doc.end() || !start->is_number_unsigned()) {
    return state_error(origin, keys.start, "a non-negative integer (clock ticks)", keys);
  }
  RuncState state;
  state.init_pid = *pid_value;
  state.init_start_ticks = start->get<std::uint64_t>();
  return state;
}

}  // namespace

Expected<RuncState> parse_runc_state(std::string_view json_text, std::string_view origin) {
  nlohmann::json doc;
  auto state =
      parse_init(json_text, origin, {"init_process_pid", "init_process_start", "runc's state.json"}, doc);
  if (!state) {
    return state;
  }
  const auto config = doc.find("config");
  if (config != doc.end() && config->is_object()) {
    const auto labels = config->find("labels");
    if (labels != config->end() && labels->is_array()) {
      for (const auto& label : *labels) {
        if (label.is_string() && label.get_ref<const std::string&>().starts_with("bundle=")) {
          state->bundle = label.get<std::string>().substr(7);
        }
      }
    }
  }
  return state;
}

// crun writes {"pid", "process-start-time", "cgroup-path", "scope", "rootfs",
// "systemd-cgroup", "bundle", "created", "owner", "detached",
// "external_descriptors"}; the first two, the bundle and the cgroup's scope
// matter here.
// crun itself reads a missing start time as "unknown" and then trusts the
// PID alone; a PID without its start time can name a recycled process, so
// such a file is refused (crun 1.8.1 always writes the key).
Expected<RuncState> parse_crun_status(std::string_view json_text, std::string_view origin) {
  const StateKeys keys{"pid", "process-start-time", "crun's status"};
  nlohmann::json doc;
  auto state = parse_init(json_text, origin, keys, doc);
  if (!state) {
    return state;
  }
  const auto bundle = doc.find("bundle");
  if (bundle != doc.end() && !bundle->is_string()) {
    return state_error(origin, "bundle", "a string", keys);
  }
  if (bundle != doc.end()) {
    state->bundle = bundle->get<std::string>();
  }
  if (const auto scope = doc.find("scope"); scope != doc.end() && scope->is_string()) {
    state->systemd_scope = scope->get<std::string>();
  }
  const auto cgroup = doc.find("cgroup-path");
  state->no_cgroup =
      cgroup != doc.end() && cgroup->is_string() && cgroup->get_ref<const std::string&>().empty();
  return state;
}

Expected<std::optional<RuncState>> read_runc_state(const fs::path& root, std::string_view id) {
  if (!valid_container_id(id)) {
    return make_error("invalid container id \"" + std::string(id) + "\"");
  }
  if (!root.is_absolute() || root == kHookRoot) {
    // A relative root would be read from the caller's working directory,
    // where anyone may have planted a state file; hook entries have none.
    return make_error("no runtime state is read under \"" + root.string() + "\": not a runtime root");
  }
  const fs::path dir = root / std::string(id);
  fs::path path = dir / "state.json";
  auto parse = &parse_runc_state;
  auto read = read_state_file(path);
  if (read && !*read) {
    path = dir / "status";  // crun's
    parse = &parse_crun_status;
    read = read_state_file(path);
  }
  if (!read) {
    return read.error();
  }
  if (!*read) {
    return std::optional<RuncState>{};
  }
  auto state = parse(**read, path.string());
  if (!state) {
    return make_error("cannot read runtime state " + state.error().message);
  }
  std::error_code ec;
  state->started = !fs::exists(dir / "exec.fifo", ec) && !ec;
  return std::optional<RuncState>{std::move(*state)};
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

}  // namespace isolcpus
