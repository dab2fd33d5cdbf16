#include "../../../src/ctl/status_view.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace isolcpus {
namespace {

LedgerEntry isolated_entry(const char* id, const char* cpus) {
  LedgerEntry e;
  e.runc_root = "/run/runc";
  e.container_id = id;
  e.state = EntryState::kIsolated;
  e.cpus = *CpuSet::parse(cpus);
  e.pod_namespace = "telco";
  e.pod_name = "dpdk-0";
  e.container_name = "worker";
  e.isolated_at = 1000;
  Isolation iso;
  iso.isolator = std::string(kIsolatorV1);
  iso.cgroup = std::string("kubepods/") + id;
  iso.cpus = e.cpus;
  e.isolation = iso;
  return e;
}

StatusInput two_cpu_input() {
  StatusInput in;
  in.cgroup_mode = "v1";
  in.isolator = std::string(kIsolatorV1);
  in.kernel = "6.1.0";
  in.state_dir = "/run/runc-isolcpus";
  in.online = CpuSet::range(0, 3);
  return in;
}

TEST(BuildStatus, ConsistentIsolation) {
  StatusInput in = two_cpu_input();
  in.entries.push_back(isolated_entry("abc", "2-3"));
  in.kernel_isolated = CpuSet::range(2, 3);
  const StatusView v = build_status(in);
  ASSERT_EQ(v.rows.size(), 4U);
  EXPECT_EQ(v.rows[0].state, "balanced");
  EXPECT_EQ(v.rows[0].owner, nullptr);
  EXPECT_EQ(v.rows[2].state, "isolated");
  EXPECT_EQ(v.rows[2].kernel, "isolated");
  ASSERT_NE(v.rows[2].owner, nullptr);
  EXPECT_EQ(v.rows[2].owner->container_id, "abc");
  EXPECT_EQ(v.isolated, 2U);
  EXPECT_EQ(v.balanced, 2U);
  EXPECT_EQ(v.problems, 0U);
}

// A container with tunings only: its CPUs are "tuned", balanced by the
// kernel without that being a problem; each file is shown with what it
// reads, and one that reads otherwise than the holders want is a problem.
TEST(BuildStatus, TunedCpusShowTheirFilesAndDrift) {
  StatusInput in = two_cpu_input();
  LedgerEntry e = isolated_entry("abc", "2-3");
  e.isolation.reset();
  e.cpuset_isolation = false;
  e.tunings = {{Knob::kCStates, "disable"}};
  const std::string f2 = "/sys/devices/system/cpu/cpu2/power/pm_qos_resume_latency_us";
  const std::string f3 = "/sys/devices/system/cpu/cpu3/power/pm_qos_resume_latency_us";
  e.tuning_changes = {{Knob::kCStates, f2, "0", "n/a", CpuSet::of({2})},
                      {Knob::kCStates, f3, "0", "n/a", CpuSet::of({3})}};
  in.entries.push_back(e);
  in.kernel_isolated = CpuSet{};
  in.tuning_reads = {{f2, "n/a"}, {f3, "0"}};
  in.tuning_wants = {{f2, "n/a"}, {f3, "n/a"}};
  in.tuning_drifted = {f3};  // as read_tunings judges it
  const StatusView v = build_status(in);
  EXPECT_EQ(v.rows[2].state, "tuned");
  EXPECT_EQ(v.isolated, 0U);
  EXPECT_EQ(v.tuned, 2U);
  ASSERT_EQ(v.rows[2].tunings.size(), 1U);
  EXPECT_EQ(v.rows[2].tunings[0], "cpu-c-states=disable (" + f2 + ": n/a)");
  EXPECT_TRUE(v.rows[2].problems.empty());
  ASSERT_EQ(v.rows[3].problems.size(), 1U);
  EXPECT_NE(v.rows[3].problems[0].find(f3 + " reads \"0\", not \"n/a\""), std::string::npos);
  EXPECT_EQ(v.problems, 1U);
  const auto doc = nlohmann::json::parse(render_status_json(in, v, 2000));
  EXPECT_EQ(doc["containers"][0]["load_balancing"], "on");
  EXPECT_EQ(doc["containers"][0]["tunings"]["cpu-c-states"], "disable");
  EXPECT_EQ(doc["containers"][0]["tuning_changes"][1]["reads"], "0");
  EXPECT_EQ(doc["summary"]["tuned"], 2);
}

TEST(BuildStatus, LedgerIsolatedButKernelBalancedNamesCulprit) {
  StatusInput in = two_cpu_input();
  in.entries.push_back(isolated_entry("abc", "3"));
  in.kernel_isolated = CpuSet{};
  in.culprits[3] = {"/sys/fs/cgroup/cpuset/cpuset.sched_load_balance"};
  const StatusView v = build_status(in);
  EXPECT_EQ(v.problems, 1U);
  ASSERT_EQ(v.rows[3].problems.size(), 1U);
  EXPECT_NE(v.rows[3].problems[0].find("kernel balances it"), std::string::npos);
  EXPECT_NE(v.rows[3].problems[0].find("/sys/fs/cgroup/cpuset/cpuset.sched_load_balance"), std::string::npos);
}

TEST(BuildStatus, KernelIsolatedWithoutOwnerIsALeftover) {
  StatusInput in = two_cpu_input();
  in.kernel_isolated = CpuSet::of({1});
  const StatusView v = build_status(in);
  ASSERT_EQ(v.rows[1].problems.size(), 1U);
  EXPECT_NE(v.rows[1].problems[0].find("reconcile"), std::string::npos);
}

// I2/I4: an incomplete release names what the kernel refused.
TEST(BuildStatus, IncompleteReleaseIsAProblemNamingTheFile) {
  StatusInput in = two_cpu_input();
  LedgerEntry e = isolated_entry("c1", "1");
  e.state = EntryState::kReleasing;
  e.problems = {"cannot turn /sys/fs/cgroup/kubepods/c1/cpuset.cpus.partition back into a member: EBUSY"};
  in.entries = {e};
  in.kernel_isolated = CpuSet::of({1});
  const StatusView v = build_status(in);
  EXPECT_GE(v.problems, 1U);
  bool named = false;
  for (const auto& p : v.rows[1].problems) {
    named = named || (p.find("release of CPUs 1 is incomplete") != std::string::npos &&
                      p.find("kubepods/c1/cpuset.cpus.partition") != std::string::npos);
  }
  EXPECT_TRUE(named);
}

// I2: a started container whose isolation was lost is shown until restored.
TEST(BuildStatus, RunningWithoutIsolationIsAProblem) {
  StatusInput in = two_cpu_input();
  LedgerEntry e = isolated_entry("c1", "1");
  e.state = EntryState::kDecided;
  e.isolation.reset();
  e.init_pid = 4242;
  in.entries = {e};
  in.kernel_isolated = CpuSet{};
  const StatusView v = build_status(in);
  ASSERT_EQ(v.rows[1].problems.size(), 1U);
  EXPECT_NE(v.rows[1].problems[0].find("runs on CPUs 1 without isolation"), std::string::npos);
  // A created container not started yet is fine.
  in.entries[0].init_pid = 0;
  EXPECT_EQ(build_status(in).problems, 0U);
}

// v2: a partition the kernel invalidated under a recorded isolation.
TEST(BuildStatus, InvalidPartitionIsCountedAndShown) {
  StatusInput in = two_cpu_input();
  in.problems = {
      "container c1 is recorded isolated, but /sys/fs/cgroup/k/c1/cpuset.cpus.partition reads "
      "\"isolated invalid (Invalid cpu list in cpuset.cpus.exclusive)\""};
  const StatusView v = build_status(in);
  EXPECT_EQ(v.problems, 1U);
  EXPECT_NE(render_status_text(in, v, 0).find("cpuset.cpus.partition reads"), std::string::npos);
  EXPECT_NE(render_status_json(in, v, 0).find("isolated invalid"), std::string::npos);
}

// An update in flight runs the container balanced: shown, with the PIDs that
// keep it in flight (found by the host soak: a SIGKILLed update whose runc
// child was still running).
TEST(BuildStatus, UpdateInFlightIsShownWithItsProcesses) {
  StatusInput in = two_cpu_input();
  LedgerEntry e = isolated_entry("c1", "1");
  e.state = EntryState::kDecided;
  e.isolation.reset();
  e.init_pid = 4242;
  e.update =
      UpdateInFlight{CpuSet::of({1}), CpuSet::of({0}), "kubepods/c1", ProcessRef{100, 1}, ProcessRef{101, 2}};
  in.entries = {e};
  in.kernel_isolated = CpuSet{};
  const StatusView v = build_status(in);
  ASSERT_EQ(v.rows[1].problems.size(), 1U);
  EXPECT_NE(v.rows[1].problems[0].find("move from 1 to 0 (wrapper pid 100, runc child pid 101)"),
            std::string::npos)
      << v.rows[1].problems[0];
}

TEST(BuildStatus, BootIsolatedIsNotAProblem) {
  StatusInput in = two_cpu_input();
  in.boot_isolated = CpuSet::of({3});
  in.kernel_isolated = CpuSet::of({3});
  const StatusView v = build_status(in);
  EXPECT_EQ(v.rows[3].state, "boot-isolated");
  EXPECT_EQ(v.boot_isolated, 1U);
  EXPECT_EQ(v.problems, 0U);
}

TEST(BuildStatus, DoubleClaimIsFlagged) {
  StatusInput in = two_cpu_input();
  in.entries.push_back(isolated_entry("a", "2"));
  in.entries.push_back(isolated_entry("b", "2"));
  in.kernel_isolated = CpuSet::of({2});
  const StatusView v = build_status(in);
  EXPECT_EQ(v.rows[2].problems.size(), 1U);
}

TEST(BuildStatus, UnknownKernelView) {
  StatusInput in = two_cpu_input();
  in.entries.push_back(isolated_entry("abc", "2"));
  const StatusView v = build_status(in);
  EXPECT_EQ(v.rows[2].kernel, "unknown");
  EXPECT_EQ(v.problems, 0U);
}

TEST(RenderStatus, TextHasOneLinePerCpuAndSummary) {
  StatusInput in = two_cpu_input();
  in.entries.push_back(isolated_entry("0123456789abcdef", "2"));
  in.kernel_isolated = CpuSet::of({2});
  const StatusView v = build_status(in);
  const std::string text = render_status_text(in, v, 1000 + 42);
  EXPECT_NE(text.find("cgroup v1"), std::string::npos);
  EXPECT_NE(text.find("0123456789ab "), std::string::npos);  // id cut to 12
  EXPECT_EQ(text.find("0123456789abc"), std::string::npos);
  EXPECT_NE(text.find("telco/dpdk-0 worker"), std::string::npos);
  EXPECT_NE(text.find("1970-01-01T00:16:40Z (42s ago)"), std::string::npos);
  EXPECT_NE(
      text.find("summary: 1 isolated by containers, 0 tuned, 0 isolated at boot, 3 balanced, 0 problems"),
      std::string::npos);
  for (const char c : text) {
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << "non-ASCII or control byte in status text";
  }
  std::size_t lines = 0;
  for (const char c : text) {
    lines += c == '\n' ? 1 : 0;
  }
  EXPECT_EQ(lines, 2U + 4U + 1U);  // header, column titles, 4 CPUs, summary
}

TEST(RenderStatus, JsonIsParseableAndComplete) {
  StatusInput in = two_cpu_input();
  in.entries.push_back(isolated_entry("abc", "2"));
  in.kernel_isolated = CpuSet{};
  in.culprits[2] = {"/x/cpuset.sched_load_balance"};
  const StatusView v = build_status(in);
  const auto doc = nlohmann::json::parse(render_status_json(in, v, 2000));
  ASSERT_EQ(doc["cpus"].size(), 4U);
  EXPECT_EQ(doc["cpus"][2]["container_id"], "abc");
  EXPECT_EQ(doc["cpus"][2]["state"], "isolated");
  EXPECT_EQ(doc["cpus"][2]["kernel"], "balanced");
  EXPECT_EQ(doc["cpus"][2]["problems"].size(), 1U);
  EXPECT_EQ(doc["containers"][0]["pod_name"], "dpdk-0");
  EXPECT_EQ(doc["containers"][0]["isolated_at"], 1000);
  EXPECT_EQ(doc["containers"][0]["mode"], "wrapper");
  EXPECT_EQ(doc["summary"]["problems"], 1);
}

TEST(FormatAge, Units) {
  EXPECT_EQ(format_age(5), "5s");
  EXPECT_EQ(format_age(600), "10m");
  EXPECT_EQ(format_age(36000), "10h");
  EXPECT_EQ(format_age(864000), "10d");
  EXPECT_EQ(format_age(-3), "0s");
  EXPECT_EQ(format_utc(0), "-");
}

// A root or cgroup that is not UTF-8 is shown (U+FFFD), never a throw.
TEST(RenderStatus, NonUtf8TextIsShownReplaced) {
  StatusInput in = two_cpu_input();
  LedgerEntry e = isolated_entry("abc", "2");
  e.runc_root = "/run/r\xff";
  e.isolation->cgroup = "k/\xfe";
  in.entries.push_back(e);
  const StatusView v = build_status(in);
  std::string json_text;
  ASSERT_NO_THROW(json_text = render_status_json(in, v, 2000));
  const auto doc = nlohmann::json::parse(json_text);
  EXPECT_EQ(doc.at("containers").at(0).at("runc_root").get<std::string>(), "/run/r\xef\xbf\xbd");
  EXPECT_NO_THROW((void)render_status_text(in, v, 2000));
}

}  // namespace
}  // namespace isolcpus
