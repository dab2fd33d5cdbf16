#include "isolcpus/irqbalance.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "isolcpus/atomic_replace.hpp"
#include "isolcpus/cpu_mask.hpp"
#include "isolcpus/irqbalance_config.hpp"
#include "isolcpus/text.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSocketDir = "run/irqbalance";
// Debian's and RHEL's EnvironmentFile for irqbalance.service.
constexpr std::array<std::string_view, 2> kConfigFiles = {"etc/default/irqbalance",
                                                          "etc/sysconfig/irqbalance"};

CpuSet kernel_list(const fs::path& host_root, const char* file) {
  auto text = read_file_if_any(host_root / file);
  auto cpus = text ? CpuSet::parse(*text) : Expected<CpuSet>(make_error("absent"));
  return cpus ? *cpus : CpuSet{};
}

// What the daemon should ban: ours, and what it bans on its own.
CpuSet full_ban_list(const fs::path& host_root, const CpuSet& banned, std::string_view config_text,
                     bool mask_only) {
  if (banned.empty()) {
    return banned;
  }
  return banned | own_ban_list(config_text, kernel_list(host_root, "sys/devices/system/cpu/isolated"),
                               kernel_list(host_root, "sys/devices/system/cpu/nohz_full"), mask_only);
}

// The socket's message is built under the node lock: never waits (a FIFO
// there is refused), never follows a link, never takes more than a config
// file's size.
Expected<std::string> read_config(const fs::path& path, std::size_t limit = 1 << 20) {
  return read_regular_file(path, limit, /*no_follow=*/true, path.string());
}

std::string config_text(const fs::path& host_root) {
  const auto file = irqbalance_config_file(host_root);
  auto text = file ? read_config(host_root / fs::path(*file).relative_path()) : Expected<std::string>("");
  return text ? *text : "";
}

// The new text beside the old, then renamed over it, owner and mode kept.
Expected<void> replace_config(const fs::path& target, const std::string& text) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return make_error(target.string() +
                      " is not a regular file (a link?): not edited; ban the CPUs in it "
                      "yourself or replace the link with the file");
  }
  // One fixed name: its writers (`ctl reconcile`) are serialized, and a
  // crashed one's leftover is taken over, not multiplied.
  const fs::path temp = target.string() + ".runc-isolcpus.tmp";
  (void)::unlink(temp.c_str());
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd || ::fchown(fd.get(), st.st_uid, st.st_gid) != 0 || ::fchmod(fd.get(), st.st_mode & 07777) != 0) {
    const int e = errno;
    if (fd) {
      (void)::unlink(temp.c_str());
    }
    return make_error("cannot write beside " + target.string() + ": " + std::strerror(e));
  }
  auto ok = replace_with_temp(fd.get(), temp, target, text, /*dir_sync_required=*/false);
  if (!ok) {
    (void)::unlink(temp.c_str());
  }
  return ok;
}

std::string send_to(const fs::path& socket_path, const std::string& message) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = socket_path.string();
  if (path.size() >= sizeof addr.sun_path) {
    return "socket path too long";
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    return std::string("socket: ") + std::strerror(errno);
  }
  // A full backlog answers EAGAIN at once on a non-blocking socket.
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return std::string("connect: ") + std::strerror(errno);
  }
  const ssize_t n = ::send(fd.get(), message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n != static_cast<ssize_t>(message.size())) {
    return n < 0 ? std::string("send: ") + std::strerror(errno) : "short send";
  }
  return "";
}

}  // namespace

std::vector<std::string> irqbalance_sockets(const fs::path& host_root) {
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::directory_iterator it(host_root / kSocketDir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Root's own socket, not a link planted to lead elsewhere.
    struct stat st {};
    if (name.starts_with("irqbalance") && name.ends_with(".sock") && ::lstat(it->path().c_str(), &st) == 0 &&
        S_ISSOCK(st.st_mode) && st.st_uid == 0) {
      found.push_back("/" + std::string(kSocketDir) + "/" + name);
    }
  }
  return found;
}

IrqBalanceReport tell_irqbalance(const fs::path& host_root, const CpuSet& banned) {
  IrqBalanceReport report;
  // irqbalance reads the list with the kernel's cpulist parser; it
  // replaces irqbalance's own.
  // Only 1.8+ has this socket: it reads the list, not the mask.
  const CpuSet all = full_ban_list(host_root, banned, config_text(host_root), false);
  const std::string message = "settings cpus " + (all.empty() ? std::string("NULL") : all.to_string());
  for (const auto& socket : irqbalance_sockets(host_root)) {
    const std::string why = send_to(host_root / fs::path(socket).relative_path(), message);
    if (why == "connect: " + std::string(std::strerror(ECONNREFUSED))) {
      continue;  // a dead daemon's socket file: nobody to tell
    }
    if (!why.empty()) {
      report.problems.push_back("irqbalance (" + socket + ") did not take its ban list \"" + message +
                                "\": " + why + "; it may move IRQs back onto isolated CPUs");
    } else {
      ++report.told;
    }
  }
  return report;
}

std::optional<std::string> irqbalance_config_file(const fs::path& host_root) {
  for (const auto file : kConfigFiles) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(host_root / file, ec))) {
      return "/" + std::string(file);
    }
  }
  return std::nullopt;
}

Expected<bool> keep_irqbalance_file(const fs::path& host_root, const CpuSet& banned, bool only_if_kept,
                                    const fs::path& mark) {
  const auto file = irqbalance_config_file(host_root);
  if (!file) {
    return false;  // no irqbalance package: nobody to tell
  }
  const fs::path target = host_root / fs::path(*file).relative_path();
  const auto old = read_config(target);
  if (!old) {
    return make_error(old.error().message + "; irqbalance may move IRQs back onto isolated CPUs");
  }
  if (auto broken = ban_block_problem(*old); !broken.empty()) {
    return make_error(*file + ": " + broken + "; not edited: remove runc-isolcpus' lines from it by hand");
  }
  if (only_if_kept && !has_ban_block(*old)) {
    return false;
  }
  const bool mask_only = !banned.empty() && irqbalance_binary(host_root).reads_mask_only;
  const CpuSet all = full_ban_list(host_root, banned, *old, mask_only);
  std::string mask;
  if (!all.empty() && mask_only) {
    const auto like = read_file_if_any(host_root / "proc/irq/default_smp_affinity");
    mask = format_cpu_mask_like(like ? trim_right(*like) : std::string_view("00000000"), all);
  }
  const std::string text = with_ban_block(*old, all, mask);
  if (text == *old) {
    return false;
  }
  // Marked (emptied: "a restart is due") before the change: a crash after
  // it still leaves the restart due (the mark, not the block, says a
  // removal needs one).
  if (UniqueFd m(
          ::open(mark.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600));
      !m) {
    return make_error("cannot mark " + mark.string() + ": " + std::strerror(errno) + "; " + *file +
                      " not changed");
  }
  if (auto ok = replace_config(target, text); !ok) {
    return ok.error();
  }
  return true;
}

IrqBalanceBinary irqbalance_binary(const fs::path& host_root) {
  IrqBalanceBinary found;
  for (const char* file : {"usr/sbin/irqbalance", "sbin/irqbalance"}) {
    auto bytes = read_config(host_root / file, 16 << 20);
    if (!bytes) {
      continue;
    }
    found.path = "/" + std::string(file);
    found.reads_list = bytes->find(kIrqBalanceListVar) != std::string::npos;
    found.reads_mask_only =
        !found.reads_list && bytes->find(std::string(kIrqBalanceMaskVar) + '\0') != std::string::npos;
    break;
  }
  return found;
}

}  // namespace isolcpus
