// tell_irqbalance against a real listening AF_UNIX socket standing in for
// irqbalance's: what it receives, and that a daemon that does not accept
// never blocks the caller.
#include "isolcpus/irqbalance.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

// The file fallback: no socket, Debian's environment file.
TEST(IrqBalanceFile, KeepsOurListWithItsOwnInTheFileAndTakesItBackExactly) {
  TempDir host;
  const std::string original = "#IRQBALANCE_BANNED_CPULIST=\nIRQBALANCE_ARGS=--journal\n";
  host.write_file("etc/default/irqbalance", original);
  ::chmod((host / "etc/default/irqbalance").c_str(), 0640);
  host.write_file("sys/devices/system/cpu/isolated", "7\n");
  EXPECT_EQ(irqbalance_config_file(host.path()), "/etc/default/irqbalance");
  auto changed = keep_irqbalance_file(host.path(), CpuSet::of({2, 3}), false, host / "mark");
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_TRUE(*changed);
  EXPECT_TRUE(std::filesystem::exists(host / "mark"));  // reconcile's cue to restart it
  const std::string with = host.read_file("etc/default/irqbalance");
  EXPECT_TRUE(with.starts_with(original));
  EXPECT_NE(with.find("\nIRQBALANCE_BANNED_CPULIST=2-3,7\n"), std::string::npos) << with;
  struct stat st {};
  ASSERT_EQ(::stat((host / "etc/default/irqbalance").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640U);  // the operator's mode kept
  // The same list again: not rewritten.
  changed = keep_irqbalance_file(host.path(), CpuSet::of({2, 3}), false, host / "mark");
  ASSERT_TRUE(changed);
  EXPECT_FALSE(*changed);
  changed = keep_irqbalance_file(host.path(), CpuSet{}, true, host / "mark");
  ASSERT_TRUE(changed);
  EXPECT_TRUE(*changed);
  EXPECT_EQ(host.read_file("etc/default/irqbalance"), original);
  // No temp file left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(host / "etc/default"),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(IrqBalanceFile, WithASocketOnlyAKeptBlockIsTouched) {
  TempDir host;
  host.write_file("etc/sysconfig/irqbalance", "IRQBALANCE_ARGS=\n");  // RHEL's place
  auto changed = keep_irqbalance_file(host.path(), CpuSet::of({2}), /*only_if_kept=*/true, host / "mark");
  ASSERT_TRUE(changed);
  EXPECT_FALSE(*changed);
  EXPECT_FALSE(std::filesystem::exists(host / "mark"));
  EXPECT_EQ(host.read_file("etc/sysconfig/irqbalance"), "IRQBALANCE_ARGS=\n");
}

TEST(IrqBalanceFile, NoPackageIsNothingToDo) {
  TempDir host;
  auto changed = keep_irqbalance_file(host.path(), CpuSet::of({2}), false, host / "mark");
  ASSERT_TRUE(changed);
  EXPECT_FALSE(*changed);
  EXPECT_FALSE(std::filesystem::exists(host / "etc"));
}

TEST(IrqBalanceFile, ALinkOrAFifoIsRefusedWithoutWaiting) {
  TempDir host;
  host.write_file("elsewhere", "IRQBALANCE_ARGS=\n");
  host.make_dirs("etc/default");
  std::filesystem::create_symlink(host / "elsewhere", host / "etc/default/irqbalance");
  auto changed = keep_irqbalance_file(host.path(), CpuSet::of({2}), false, host / "mark");
  ASSERT_FALSE(changed);
  EXPECT_NE(changed.error().message.find("/etc/default/irqbalance"), std::string::npos)
      << changed.error().message;
  EXPECT_EQ(host.read_file("elsewhere"), "IRQBALANCE_ARGS=\n");
  std::filesystem::remove(host / "etc/default/irqbalance");
  ASSERT_EQ(::mkfifo((host / "etc/default/irqbalance").c_str(), 0644), 0);
  changed = keep_irqbalance_file(host.path(), CpuSet::of({2}), false,
                                 host / "mark");  // would hang on a blocking open
  ASSERT_FALSE(changed);
  EXPECT_NE(changed.error().message.find("not a regular file"), std::string::npos) << changed.error().message;
}

TEST(IrqBalanceFile, TheSocketMessageCarriesTheOperatorsListNotTheDefault) {
  TempDir host;
  host.make_dirs("run/irqbalance");
  const auto listener = listen_at(host / "run/irqbalance/irqbalance9.sock", 4);
  host.write_file("sys/devices/system/cpu/isolated", "7\n");
  host.write_file("etc/default/irqbalance", "IRQBALANCE_BANNED_CPULIST=0\n");
  EXPECT_EQ(tell_irqbalance(host.path(), CpuSet::of({2})).told, 1U);
  EXPECT_EQ(receive(listener), "settings cpus 0,2");
}

// irqbalance before 1.8 reads only the mask; 1.8+ discards the mask with a
// warning: the binary's own names decide what goes in the block.
TEST(IrqBalanceFile, AnOldDaemonGetsTheMaskANewOneOnlyTheList) {
  TempDir host;
  host.write_file("proc/irq/default_smp_affinity", "00000000,000000ff\n");
  host.write_file("etc/default/irqbalance", "IRQBALANCE_BANNED_CPUS=00000000,00000001\n");
  using namespace std::string_literals;
  host.write_file("usr/sbin/irqbalance",
                  "\x7f"
                  "ELF junk\0IRQBALANCE_BANNED_CPUS\0more"s);
  const auto old = irqbalance_binary(host.path());
  EXPECT_EQ(old.path, "/usr/sbin/irqbalance");
  EXPECT_TRUE(old.reads_mask_only);
  EXPECT_FALSE(old.reads_list);
  ASSERT_TRUE(keep_irqbalance_file(host.path(), CpuSet::of({2}), false, host / "mark"));
  std::string text = host.read_file("etc/default/irqbalance");
  // The operator's mask (CPU 0) is the old daemon's own list.
  EXPECT_NE(text.find("\nIRQBALANCE_BANNED_CPULIST=0,2\nIRQBALANCE_BANNED_CPUS=00000000,00000005\n"),
            std::string::npos)
      << text;
  host.write_file("usr/sbin/irqbalance", "IRQBALANCE_BANNED_CPUS\0IRQBALANCE_BANNED_CPULIST\0"s);
  EXPECT_TRUE(irqbalance_binary(host.path()).reads_list);
  ASSERT_TRUE(keep_irqbalance_file(host.path(), CpuSet::of({2}), false, host / "mark"));
  text = host.read_file("etc/default/irqbalance");
  // 1.8+ discards the operator's mask: its own list is the default one (none here).
  EXPECT_NE(text.find("\nIRQBALANCE_BANNED_CPULIST=2\n# END"), std::string::npos) << text;
  ASSERT_TRUE(keep_irqbalance_file(host.path(), CpuSet{}, true, host / "mark"));
  EXPECT_EQ(host.read_file("etc/default/irqbalance"), "IRQBALANCE_BANNED_CPUS=00000000,00000001\n");
}

}  // namespace
}  // namespace isolcpus
