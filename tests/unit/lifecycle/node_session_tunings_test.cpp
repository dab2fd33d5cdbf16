// The engine with tunings: a fake cgroup v1 host (cpuset and cpu
// hierarchies, PM QoS files), real ledger.  Tunings alone, tunings with
// load balancing, a failed write, a crash mid-apply, a pod shared by two.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "fakes/fake_kernel_files.hpp"
#include "fakes/temp_dir.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/node_session.hpp"

namespace isolcpus {
namespace {

constexpr const char* kCpuset = "sys/fs/cgroup/cpuset";
constexpr const char* kCpu = "sys/fs/cgroup/cpu,cpuacct";

struct Crash : std::runtime_error {
  Crash() : std::runtime_error("SIGKILL") {}
};

class TuningsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host.write_file("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    host.write_file("proc/self/mountinfo",
                    "30 25 0:26 / /sys/fs/cgroup/cpuset rw shared:9 - cgroup cgroup rw,cpuset\n"
                    "31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw shared:10 - cgroup cgroup rw,cpu,cpuacct\n");
    host.write_file("sys/devices/system/cpu/online", "0-3\n");
    host.write_file("sys/devices/system/cpu/possible", "0-3\n");
    for (unsigned cpu = 0; cpu < 4; ++cpu) {
      host.write_file(latency_file(cpu), "0\n");
    }
    cpuset("", "0-3");
    cpuset("system", "0-1");
    cpuset("kubepods", "0-3");
    cpuset("kubepods/pod1", "0-3");
    for (const char* c : {"kubepods/pod1/c1", "kubepods/pod1/c2"}) {
      cpuset(c, "2-3");
      host.write_file(std::string(kCpu) + "/" + c + "/cpu.cfs_quota_us", "200000\n");
    }
    host.write_file(std::string(kCpu) + "/kubepods/pod1/cpu.cfs_quota_us", "400000\n");
    config.host_root = host.path().string();
    config.state_dir = (host / "state").string();
    config.log_file = (host / "wrapper.log").string();
    config.min_housekeeping_cpus = 1;
    config.v1_manage_root_flag = false;
    seams.files = &files;
  }

  static std::string latency_file(unsigned cpu) {
    return "sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/power/pm_qos_resume_latency_us";
  }
  void cpuset(const std::string& rel, const std::string& cpus) const {
    const std::string dir = std::string(kCpuset) + (rel.empty() ? "" : "/" + rel);
    host.write_file(dir + "/cpuset.cpus", cpus + "\n");
    host.write_file(dir + "/cpuset.mems", "0\n");
    host.write_file(dir + "/cpuset.sched_load_balance", "1\n");
  }
  [[nodiscard]] std::string read(const std::string& rel) const {
    std::string text = host.read_file(rel);
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    return text;
  }
  [[nodiscard]] std::string quota(const std::string& rel) const {
    return read(std::string(kCpu) + "/" + rel + "/cpu.cfs_quota_us");
  }
  [[nodiscard]] std::string flag(const std::string& rel) const {
    return read(std::string(kCpuset) + "/" + rel + "/cpuset.sched_load_balance");
  }

  void seed(const std::string& id, const std::string& cpus, bool cpuset_isolation,
            std::vector<Tuning> tunings) {
    auto ledger = Ledger::open(config.state_dir, config.lock_timeout);
    ASSERT_TRUE(ledger) << ledger.error().message;
    LedgerEntry e;
    e.runc_root = "/run/runc";
    e.container_id = id;
    e.cpus = *CpuSet::parse(cpus);
    e.cgroups_path = "/kubepods/pod1/" + id;
    e.decided_at = 1;
    e.creator = ProcessRef{31337, 1};
    e.cpuset_isolation = cpuset_isolation;
    e.tunings = std::move(tunings);
    ledger->data().entries.push_back(e);
    ASSERT_TRUE(ledger->commit());
  }

  Expected<void> isolate(const std::string& id) {
    NodeSession node(config, log, seams);
    return node.isolate("/run/runc", id, *CgroupPath::parse("kubepods/pod1/" + id));
  }

  [[nodiscard]] LedgerEntry entry(const std::string& id) const {
    auto data = read_ledger_snapshot(config.state_dir);
    EXPECT_TRUE(data);
    for (const auto& e : data->entries) {
      if (e.container_id == id) {
        return e;
      }
    }
    return {};
  }

  void expect_all_back() const {
    EXPECT_EQ(read(latency_file(2)), "0");
    EXPECT_EQ(read(latency_file(3)), "0");
    EXPECT_EQ(quota("kubepods/pod1"), "400000");
    EXPECT_EQ(quota("kubepods/pod1/c1"), "200000");
    EXPECT_EQ(flag("kubepods/pod1/c1"), "1");
  }

  TempDir host;
  FakeKernelFiles files{host};
  Config config;
  Log log;
  Seams seams;
};

const std::vector<Tuning> kQuotaAndCStates = {{Knob::kCpuQuota, "disable"}, {Knob::kCStates, "disable"}};

TEST_F(TuningsSessionTest, TuningsAloneLeaveLoadBalancingOnAndComeBackOnRelease) {
  seed("c1", "2-3", false, kQuotaAndCStates);
  auto ok = isolate("c1");
  ASSERT_TRUE(ok) << ok.error().message;
  const auto e = entry("c1");
  EXPECT_EQ(e.state, EntryState::kIsolated);
  EXPECT_FALSE(e.isolation);
  EXPECT_EQ(e.tuning_changes.size(), 4U);  // pod and container quota, two CPUs' latency
  EXPECT_EQ(quota("kubepods/pod1"), "-1");
  EXPECT_EQ(quota("kubepods/pod1/c1"), "-1");
  EXPECT_EQ(read(latency_file(2)), "n/a");
  EXPECT_EQ(read(latency_file(1)), "0");
  EXPECT_EQ(flag("kubepods/pod1/c1"), "1");
  {
    NodeSession node(config, log, seams);
    EXPECT_TRUE(node.release("/run/runc", "c1"));
  }
  EXPECT_TRUE(read_ledger_snapshot(config.state_dir)->entries.empty());
  expect_all_back();
}

TEST_F(TuningsSessionTest, WithLoadBalancingBothAreMadeAndUndone) {
  seed("c1", "2-3", true, kQuotaAndCStates);
  ASSERT_TRUE(isolate("c1"));
  EXPECT_EQ(flag("kubepods/pod1/c1"), "0");
  EXPECT_EQ(read(latency_file(3)), "n/a");
  {
    NodeSession node(config, log, seams);
    EXPECT_TRUE(node.release("/run/runc", "c1"));
  }
  expect_all_back();
}

TEST_F(TuningsSessionTest, AFailedTuningUndoesTheWholeIsolation) {
  seed("c1", "2-3", true, kQuotaAndCStates);
  files.refuse = [](std::string_view file, std::string_view value) -> std::optional<std::string> {
    return file.find("cpu3") != std::string_view::npos && value == "n/a"
               ? std::optional<std::string>("Input/output error")
               : std::nullopt;
  };
  auto ok = isolate("c1");
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("cpu3/power/pm_qos_resume_latency_us"), std::string::npos)
      << ok.error().message;
  const auto e = entry("c1");
  EXPECT_EQ(e.state, EntryState::kDecided);
  EXPECT_TRUE(e.tuning_changes.empty());
  EXPECT_FALSE(e.isolation);
  expect_all_back();
}

TEST_F(TuningsSessionTest, ACrashMidApplyIsUndoneByReconcile) {
  seed("c1", "2-3", true, kQuotaAndCStates);
  files.refuse = [](std::string_view file, std::string_view) -> std::optional<std::string> {
    if (file.find("cpu2/power") != std::string_view::npos) {
      throw Crash();  // the wrapper dies between two writes
    }
    return std::nullopt;
  };
  EXPECT_THROW((void)isolate("c1"), Crash);
  EXPECT_EQ(quota("kubepods/pod1/c1"), "-1");  // written before the crash
  EXPECT_EQ(entry("c1").state, EntryState::kIsolating);
  files.refuse = nullptr;
  {
    NodeSession node(config, log, seams);
    const auto report = node.reconcile();  // its creator (31337) is gone
    EXPECT_EQ(report.released, 1U);
  }
  EXPECT_TRUE(read_ledger_snapshot(config.state_dir)->entries.empty());
  expect_all_back();
}

TEST_F(TuningsSessionTest, APodsQuotaStaysLiftedWhileAnyOfItsContainersHoldsIt) {
  seed("c1", "2", false, {{Knob::kCpuQuota, "disable"}});
  seed("c2", "3", false, {{Knob::kCpuQuota, "disable"}});
  ASSERT_TRUE(isolate("c1"));
  ASSERT_TRUE(isolate("c2"));
  EXPECT_EQ(entry("c2").tuning_changes.front().original, "400000");
  {
    NodeSession node(config, log, seams);
    EXPECT_TRUE(node.release("/run/runc", "c1"));
  }
  EXPECT_EQ(quota("kubepods/pod1"), "-1");
  EXPECT_EQ(quota("kubepods/pod1/c1"), "200000");
  EXPECT_EQ(quota("kubepods/pod1/c2"), "-1");
  {
    NodeSession node(config, log, seams);
    EXPECT_TRUE(node.release("/run/runc", "c2"));
  }
  EXPECT_EQ(quota("kubepods/pod1"), "400000");
  EXPECT_EQ(quota("kubepods/pod1/c2"), "200000");
}

TEST_F(TuningsSessionTest, AFailedRestoreStaysInTheLedgerUntilTheKernelLetsGo) {
  seed("c1", "2-3", false, kQuotaAndCStates);
  ASSERT_TRUE(isolate("c1"));
  files.refuse = [](std::string_view file, std::string_view) -> std::optional<std::string> {
    return file.find("cpu3") != std::string_view::npos ? std::optional<std::string>("Device or resource busy")
                                                       : std::nullopt;
  };
  {
    NodeSession node(config, log, seams);
    EXPECT_FALSE(node.release("/run/runc", "c1"));
  }
  auto e = entry("c1");
  EXPECT_EQ(e.state, EntryState::kReleasing);
  ASSERT_EQ(e.tuning_changes.size(), 1U);
  EXPECT_NE(e.tuning_changes[0].file.find("cpu3"), std::string::npos);
  ASSERT_FALSE(e.problems.empty());
  EXPECT_NE(e.problems[0].find("Device or resource busy"), std::string::npos);
  files.refuse = nullptr;
  {
    NodeSession node(config, log, seams);
    (void)node.reconcile();
  }
  EXPECT_TRUE(read_ledger_snapshot(config.state_dir)->entries.empty());
  expect_all_back();
}

TEST_F(TuningsSessionTest, ReconcileSetsBackAQuotaSomethingElseRewrote) {
  seed("c1", "2-3", false, {{Knob::kCpuQuota, "disable"}});
  ASSERT_TRUE(isolate("c1"));
  {
    // Alive: make its creator this process.
    auto ledger = Ledger::open(config.state_dir, config.lock_timeout);
    ASSERT_TRUE(ledger);
    ledger->data().entries[0].init_pid = 4242;
    ledger->data().entries[0].init_start_ticks = 7;
    ASSERT_TRUE(ledger->commit());
    host.write_file("proc/4242/stat",
                    "4242 (sleep) S 1 1 1 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 7 1000 100\n");
  }
  host.write_file(std::string(kCpu) + "/kubepods/pod1/c1/cpu.cfs_quota_us", "200000\n");  // a `runc update`
  {
    NodeSession node(config, log, seams);
    const auto report = node.reconcile();
    ASSERT_FALSE(report.notes.empty());
    EXPECT_NE(report.notes.back().find("set back to \"-1\""), std::string::npos) << report.notes.back();
  }
  EXPECT_EQ(quota("kubepods/pod1/c1"), "-1");
}

// The node lock is never held over irqbalance's file (on /etc's disk,
// fsynced): `ctl reconcile` keeps it (tests/unit/ctl/irqbalance_restart_test.cpp).
TEST_F(TuningsSessionTest, TheWrapperLeavesIrqbalancesFileToReconcile) {
  const std::string original = "#IRQBALANCE_BANNED_CPULIST=\n";
  host.write_file("etc/default/irqbalance", original);
  host.write_file("proc/irq/default_smp_affinity", "f\n");
  host.write_file("proc/irq/5/smp_affinity", "f\n");
  seed("c1", "2", false, {{Knob::kIrqLoadBalancing, "disable"}});
  ASSERT_TRUE(isolate("c1"));
  EXPECT_EQ(read("proc/irq/5/smp_affinity"), "b");
  EXPECT_EQ(host.read_file("etc/default/irqbalance"), original);
  EXPECT_FALSE(std::filesystem::exists(host / "state/irqbalance-file-changed"));
}

}  // namespace
}  // namespace isolcpus
