#include "isolcpus/irqbalance.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "isolcpus/text.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSocketDir = "run/irqbalance";

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
  // irqbalance reads the list with the kernel's cpulist parser.
  // The list replaces irqbalance's own, which bans the CPUs isolated at
  // boot and the nohz_full ones.
  CpuSet all = banned;
  if (!banned.empty()) {
    for (const char* file : {"sys/devices/system/cpu/isolated", "sys/devices/system/cpu/nohz_full"}) {
      auto text = read_file_if_any(host_root / file);
      auto cpus = text ? CpuSet::parse(*text) : Expected<CpuSet>(make_error("absent"));
      if (cpus) {
        all |= *cpus;
      }
    }
  }
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

}  // namespace isolcpus
