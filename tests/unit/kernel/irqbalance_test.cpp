// tell_irqbalance against a real listening AF_UNIX socket standing in for
// irqbalance's: what it receives, and that a daemon that does not accept
// never blocks the caller.
#include "isolcpus/irqbalance.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "fakes/temp_dir.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

UniqueFd listen_at(const std::filesystem::path& path, int backlog) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0)
      << std::strerror(errno);
  EXPECT_EQ(::listen(fd.get(), backlog), 0);
  return fd;
}

std::string receive(const UniqueFd& listener) {
  UniqueFd conn(::accept(listener.get(), nullptr, nullptr));
  char buf[256] = {};
  const ssize_t n = ::recv(conn.get(), buf, sizeof buf - 1, 0);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

TEST(IrqBalance, SendsTheBanListAndNullWhenNothingIsBanned) {
  TempDir host;
  host.make_dirs("run/irqbalance");
  const auto listener = listen_at(host / "run/irqbalance/irqbalance123.sock", 4);
  host.write_file("run/irqbalance/irqbalance.pid", "123\n");  // not a socket: ignored
  EXPECT_EQ(irqbalance_sockets(host.path()), std::vector<std::string>{"/run/irqbalance/irqbalance123.sock"});
  auto told = tell_irqbalance(host.path(), CpuSet::of({2, 3, 5}));
  EXPECT_EQ(told.told, 1U);
  EXPECT_TRUE(told.problems.empty());
  EXPECT_EQ(receive(listener), "settings cpus 2-3,5");
  told = tell_irqbalance(host.path(), CpuSet{});
  EXPECT_EQ(told.told, 1U);
  EXPECT_EQ(receive(listener), "settings cpus NULL");
}

TEST(IrqBalance, NoDaemonIsNothingToTell) {
  TempDir host;
  const auto told = tell_irqbalance(host.path(), CpuSet::of({2}));
  EXPECT_EQ(told.told, 0U);
  EXPECT_TRUE(told.problems.empty());
}

// A SIGKILLed irqbalance leaves its socket file: nobody to tell, and no
// reason to tell it again on every call.
TEST(IrqBalance, ADeadDaemonsSocketIsNobodyToTell) {
  TempDir host;
  host.make_dirs("run/irqbalance");
  {
    const auto gone = listen_at(host / "run/irqbalance/irqbalance9.sock", 1);
  }  // closed: the file stays, nobody listens
  const auto told = tell_irqbalance(host.path(), CpuSet::of({2}));
  EXPECT_EQ(told.told, 0U);
  EXPECT_TRUE(told.problems.empty()) << told.problems[0];
}

TEST(IrqBalance, ALinkIsNotItsSocketAndTheBootListsAreKept) {
  TempDir host;
  host.make_dirs("run/irqbalance");
  host.make_dirs("elsewhere");
  const auto target = listen_at(host / "elsewhere/any.sock", 4);
  std::filesystem::create_symlink(host / "elsewhere/any.sock", host / "run/irqbalance/irqbalance5.sock");
  EXPECT_TRUE(irqbalance_sockets(host.path()).empty());
  std::filesystem::remove(host / "run/irqbalance/irqbalance5.sock");
  const auto real = listen_at(host / "run/irqbalance/irqbalance6.sock", 4);
  host.write_file("sys/devices/system/cpu/isolated", "7\n");
  host.write_file("sys/devices/system/cpu/nohz_full", "5-6\n");
  EXPECT_EQ(tell_irqbalance(host.path(), CpuSet::of({2})).told, 1U);
  EXPECT_EQ(receive(real), "settings cpus 2,5-7");
}

TEST(IrqBalance, ADaemonThatDoesNotAcceptIsNotWaitedFor) {
  TempDir host;
  host.make_dirs("run/irqbalance");
  const auto path = host / "run/irqbalance/irqbalance7.sock";
  const auto listener = listen_at(path, 0);
  // Fill its backlog as a hung irqbalance would leave it.
  std::vector<UniqueFd> pending;
  for (int i = 0; i < 8; ++i) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      break;
    }
    pending.push_back(std::move(fd));
  }
  const auto told = tell_irqbalance(host.path(), CpuSet::of({2}));  // returns: the test would hang otherwise
  EXPECT_EQ(told.told, 0U);
  ASSERT_EQ(told.problems.size(), 1U);
  EXPECT_NE(told.problems[0].find("Resource temporarily unavailable"), std::string::npos) << told.problems[0];
}

}  // namespace
}  // namespace isolcpus
