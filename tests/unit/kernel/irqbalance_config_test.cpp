// The environment-file fallback for an irqbalance without a socket: reading
// the file the way systemd does, our block in and out byte for byte, and
// when a restart is due and how far apart restarts are spaced.
#include "isolcpus/irqbalance_config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace isolcpus {
namespace {

// Debian 12's /etc/default/irqbalance, shortened.
constexpr std::string_view kDebian =
    "# irqbalance is a daemon process that distributes interrupts across\n"
    "#IRQBALANCE_ONESHOT=\n"
    "#IRQBALANCE_BANNED_CPULIST=\n"
    "#IRQBALANCE_ARGS=\n";

TEST(IrqBalanceConfig, ReadsTheLastAssignmentLikeSystemd) {
  EXPECT_EQ(env_file_value(kDebian, kIrqBalanceListVar), std::nullopt);  // commented out
  EXPECT_EQ(env_file_value("A=1\nIRQBALANCE_BANNED_CPULIST=1\n", kIrqBalanceListVar), "1");
  EXPECT_EQ(
      env_file_value("IRQBALANCE_BANNED_CPULIST=1\nIRQBALANCE_BANNED_CPULIST=\"4-5\"\n", kIrqBalanceListVar),
      "4-5");
  EXPECT_EQ(env_file_value("  IRQBALANCE_BANNED_CPULIST = '7' ", kIrqBalanceListVar), "7");
  EXPECT_EQ(
      env_file_value("IRQBALANCE_BANNED_CPULISTX=1\nXIRQBALANCE_BANNED_CPULIST=2\n", kIrqBalanceListVar),
      std::nullopt);
  EXPECT_EQ(env_file_value("IRQBALANCE_BANNED_CPULIST=", kIrqBalanceListVar), "");
}

TEST(IrqBalanceConfig, TheBlockGoesInLastAndComesOutByteForByte) {
  const std::string with = with_ban_block(kDebian, CpuSet::of({2, 3}));
  EXPECT_TRUE(has_ban_block(with));
  EXPECT_FALSE(has_ban_block(kDebian));
  EXPECT_TRUE(with.starts_with(kDebian));
  EXPECT_EQ(env_file_value(with, kIrqBalanceListVar), "2-3");
  // Replaced in place, not stacked.
  const std::string again = with_ban_block(with, CpuSet::of({5}));
  EXPECT_EQ(env_file_value(again, kIrqBalanceListVar), "5");
  EXPECT_EQ(again.size(), with.size() - 2);
  EXPECT_EQ(with_ban_block(again, CpuSet{}), kDebian);
  EXPECT_EQ(with_ban_block(kDebian, CpuSet{}), kDebian);
  EXPECT_EQ(with_ban_block("", CpuSet{}), "");
}

TEST(IrqBalanceConfig, AnOperatorLineAfterOurBlockIsKeptAndOurBlockMovesLast) {
  // Someone appended after our block: their line must not win over ours.
  std::string text = with_ban_block(kDebian, CpuSet::of({2})) + "IRQBALANCE_BANNED_CPULIST=9\n";
  text = with_ban_block(text, CpuSet::of({2, 9}));
  EXPECT_EQ(env_file_value(text, kIrqBalanceListVar), "2,9");
  EXPECT_EQ(with_ban_block(text, CpuSet{}), std::string(kDebian) + "IRQBALANCE_BANNED_CPULIST=9\n");
}

TEST(IrqBalanceConfig, AMissingFinalNewlineIsAddedBeforeTheBlock) {
  const std::string with = with_ban_block("A=1", CpuSet::of({1}));
  EXPECT_TRUE(with.starts_with("A=1\n# BEGIN runc-isolcpus"));
  EXPECT_EQ(env_file_value(with, "A"), "1");
  EXPECT_EQ(with_ban_block(with, CpuSet{}), "A=1\n");
}

TEST(IrqBalanceConfig, ABeginWithoutItsEndIsNotOurs) {
  const std::string with = with_ban_block(kDebian, CpuSet::of({1}));
  const std::string broken = with.substr(0, with.find("# END"));
  EXPECT_FALSE(has_ban_block(broken));
  EXPECT_FALSE(has_ban_block("x# BEGIN runc-isolcpus: CPUs of pods\n# END runc-isolcpus\n"));
}

TEST(IrqBalanceConfig, OwnListIsTheOperatorsElseIsolatedAndNohzFull) {
  const CpuSet isolated = CpuSet::of({6});
  const CpuSet nohz = CpuSet::of({7});
  EXPECT_EQ(own_ban_list(kDebian, isolated, nohz), CpuSet::of({6, 7}));
  EXPECT_EQ(own_ban_list("IRQBALANCE_BANNED_CPULIST=1\n", isolated, nohz), CpuSet::of({1}));
  // Our own block is not the operator's.
  EXPECT_EQ(own_ban_list(with_ban_block(kDebian, CpuSet::of({3})), isolated, nohz), CpuSet::of({6, 7}));
  // An unreadable list of theirs: irqbalance's default is what it falls back to.
  EXPECT_EQ(own_ban_list("IRQBALANCE_BANNED_CPULIST=junk\n", isolated, nohz), CpuSet::of({6, 7}));
}

TEST(IrqBalanceConfig, SpacingKeepsEveryWindowUnderTheStartLimit) {
  using std::chrono::microseconds;
  using std::chrono::minutes;
  // systemd's default: 5 starts in 10 s.  A minute apart.
  EXPECT_EQ(restart_spacing(10'000'000, 5), minutes(1));
  EXPECT_EQ(restart_spacing(0, 5), minutes(1));
  EXPECT_EQ(restart_spacing(10'000'000, 0), minutes(1));
  // 3 starts an hour: more than 30 minutes apart, so at most 2 fall in any hour.
  EXPECT_EQ(restart_spacing(3'600'000'000, 3), microseconds(1'800'000'001));
  // A burst of 1 leaves no room for ours beside the daemon's own: at most
  // one of ours per whole interval.
  EXPECT_EQ(restart_spacing(3'600'000'000, 1), microseconds(3'600'000'001));
  for (const unsigned burst : {2U, 3U, 5U, 10U}) {
    const std::uint64_t interval = 3'600'000'000;
    const auto d = restart_spacing(interval, burst).count();
    // k starts spaced by d span (k-1)*d: burst of them never fit in the window.
    EXPECT_GT(static_cast<std::uint64_t>(d) * (burst - 1), interval) << burst;
  }
}

TEST(IrqBalanceConfig, RestartOnlyWhenTheRunningListIsStaleAndSpaced) {
  IrqBalanceUnit unit;
  unit.active = true;
  unit.started_usec = 1'000'000'000;
  unit.start_limit_interval_usec = 10'000'000;
  unit.start_limit_burst = 5;
  const std::int64_t later = unit.started_usec + 61'000'000;
  // The same list, written differently: nothing to do.
  unit.running_list = "2,3";
  EXPECT_FALSE(decide_irqbalance_restart(unit, "2-3", later).restart);
  // Unset and empty are the same list.
  unit.running_list = std::nullopt;
  EXPECT_FALSE(decide_irqbalance_restart(unit, "", later).restart);
  // Stale: restart, once spaced.
  const auto due = decide_irqbalance_restart(unit, "2-3", later);
  EXPECT_TRUE(due.restart);
  EXPECT_NE(due.why.find("\"2-3\""), std::string::npos);
  const auto soon = decide_irqbalance_restart(unit, "2-3", unit.started_usec + 5'000'000);
  EXPECT_FALSE(soon.restart);
  EXPECT_EQ(soon.not_before_usec, unit.started_usec + 60'000'000);
  EXPECT_NE(soon.why.find("deferred"), std::string::npos);
  // Back to none.
  unit.running_list = "2-3";
  EXPECT_TRUE(decide_irqbalance_restart(unit, std::nullopt, later).restart);
  // A stopped daemon reads the file when it starts.
  unit.active = false;
  EXPECT_FALSE(decide_irqbalance_restart(unit, "5", later).restart);
}

}  // namespace
}  // namespace isolcpus
