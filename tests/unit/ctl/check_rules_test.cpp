#include "../../../src/ctl/check_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace isolcpus {
namespace {

CheckFacts healthy_v1() {
  CheckFacts f;
  f.config_path = "/etc/runc-isolcpus/config.toml";
  f.config_found = true;
  f.host.mode = CgroupMode::kV1;
  f.host.cpuset_mount = "/sys/fs/cgroup/cpuset";
  f.host.kernel = {5, 15, "5.15.0"};
  f.host.online = CpuSet::range(0, 7);
  f.cpuset.v1_root_flag = false;
  f.cpuset.v1_root_flag_file = "/sys/fs/cgroup/cpuset/cpuset.sched_load_balance";
  f.cpuset.kubepods = "/sys/fs/cgroup/cpuset/kubepods";
  f.runtime = "/usr/sbin/runc";
  f.state_dir = {true, true, 0, 0700};
  return f;
}

CheckFacts healthy_v2() {
  CheckFacts f = healthy_v1();
  f.host.mode = CgroupMode::kV2;
  f.host.cpuset_mount = "/sys/fs/cgroup";
  f.host.kernel = {6, 8, "6.8.0"};
  f.cpuset.v1_root_flag.reset();
  f.cpuset.v2_exclusive_file = f.cpuset.v2_partition_file = f.cpuset.v2_root_isolated_file = true;
  f.cpuset.delegation = {{"/sys/fs/cgroup/cgroup.subtree_control", "cpuset cpu io memory pids"},
                         {"/sys/fs/cgroup/kubepods.slice/cgroup.subtree_control", "cpuset cpu memory"}};
  return f;
}

const Finding* find(const std::vector<Finding>& fs, Severity s, std::string_view needle) {
  auto it = std::find_if(fs.begin(), fs.end(), [&](const Finding& f) {
    return f.severity == s && f.what.find(needle) != std::string::npos;
  });
  return it == fs.end() ? nullptr : &*it;
}

TEST(CheckRules, HealthyNodesPass) {
  EXPECT_FALSE(blocks_isolation(evaluate_checks(healthy_v1())));
  EXPECT_FALSE(blocks_isolation(evaluate_checks(healthy_v2())));
}

TEST(CheckRules, LedgerProblemsBlockAndAreNamed) {
  CheckFacts f = healthy_v1();
  f.ledger_problems = {"container c1: the release of CPUs 3 is incomplete"};
  const auto fs = evaluate_checks(f);
  EXPECT_NE(find(fs, Severity::kError, "release of CPUs 3 is incomplete"), nullptr);
  EXPECT_TRUE(blocks_isolation(fs));
}

TEST(CheckRules, V1RootFlagLockedByConfigBlocks) {
  CheckFacts f = healthy_v1();
  f.cpuset.v1_root_flag = true;
  f.config.v1_manage_root_flag = false;
  const auto fs = evaluate_checks(f);
  const Finding* x = find(fs, Severity::kError, "v1_manage_root_flag = false");
  ASSERT_NE(x, nullptr);
  EXPECT_NE(x->fix.find("v1_manage_root_flag = true"), std::string::npos);
  f.config.v1_manage_root_flag = true;
  EXPECT_FALSE(blocks_isolation(evaluate_checks(f)));
}

TEST(CheckRules, V2OldKernelBlocks) {
  CheckFacts f = healthy_v2();
  f.host.kernel = {6, 6, "6.6.30"};
  const auto fs = evaluate_checks(f);
  const Finding* x = find(fs, Severity::kError, "6.6.30");
  ASSERT_NE(x, nullptr);
  EXPECT_NE(x->fix.find("6.7"), std::string::npos);
}

TEST(CheckRules, V2MissingDelegationBlocksAndSaysHow) {
  CheckFacts f = healthy_v2();
  f.cpuset.delegation[1] = {"/sys/fs/cgroup/kubepods/cgroup.subtree_control", "cpu memory"};
  const auto fs = evaluate_checks(f);
  const Finding* x = find(fs, Severity::kError, "kubepods/cgroup.subtree_control does not enable cpuset");
  ASSERT_NE(x, nullptr);
  EXPECT_NE(x->fix.find("echo +cpuset >"), std::string::npos);
}

// systemd enables cpuset in a slice only while a unit below sets
// AllowedCPUs: an idle systemd node reads no cpuset there (systemd guest).
TEST(CheckRules, V2SliceWithoutCpusetIsInformationNotAnError) {
  CheckFacts f = healthy_v2();
  f.cpuset.delegation[1].subtree_control = "memory hugetlb pids rdma misc";
  const auto fs = evaluate_checks(f);
  EXPECT_EQ(find(fs, Severity::kError, "kubepods.slice"), nullptr);
  const Finding* x =
      find(fs, Severity::kInfo, "kubepods.slice/cgroup.subtree_control does not enable cpuset now");
  ASSERT_NE(x, nullptr);
  EXPECT_NE(x->what.find("AllowedCPUs"), std::string::npos);
}

TEST(CheckRules, V2MissingPartitionFiles) {
  CheckFacts f = healthy_v2();
  f.cpuset.v2_exclusive_file = false;
  EXPECT_NE(find(evaluate_checks(f), Severity::kError, "cpuset.cpus.exclusive"), nullptr);
}

TEST(CheckRules, ConfigProblemsBlock) {
  CheckFacts f = healthy_v1();
  f.config_problems = {"/etc/x.toml:2: unknown key 'mdoe'"};
  EXPECT_NE(find(evaluate_checks(f), Severity::kError, "unknown key 'mdoe'"), nullptr);
}

TEST(CheckRules, MissingRuntimeBlocks) {
  CheckFacts f = healthy_v1();
  f.runtime.reset();
  f.runtime_error = "no runc found in /usr/local/sbin, ...";
  const auto fs = evaluate_checks(f);
  const Finding* x = find(fs, Severity::kError, "no runc found");
  ASSERT_NE(x, nullptr);
  EXPECT_NE(x->fix.find("runtime ="), std::string::npos);
}

TEST(CheckRules, StateDirOwnershipAndMode) {
  CheckFacts f = healthy_v1();
  f.config.state_dir = "/run/runc-isolcpus";
  f.state_dir.mode = 0755;
  const auto fs = evaluate_checks(f);
  const Finding* x = find(fs, Severity::kError, "mode 0755");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->fix, "chown root:root /run/runc-isolcpus && chmod 0700 /run/runc-isolcpus");
  f.state_dir = {false, false, 0, 0};
  EXPECT_FALSE(blocks_isolation(evaluate_checks(f)));
  f.state_dir = {true, false, 0, 0700};
  EXPECT_NE(find(evaluate_checks(f), Severity::kError, "not a directory"), nullptr);
}

TEST(CheckRules, TooFewCpus) {
  CheckFacts f = healthy_v1();
  f.host.online = CpuSet::range(0, 1);  // default min_housekeeping_cpus = 2
  EXPECT_NE(find(evaluate_checks(f), Severity::kError, "no CPU can ever be isolated"), nullptr);
  f.config.min_housekeeping_cpus = 1;
  EXPECT_FALSE(blocks_isolation(evaluate_checks(f)));
}

TEST(CheckRules, NoCpusetAtAll) {
  CheckFacts f = healthy_v1();
  f.host.mode = CgroupMode::kNone;
  EXPECT_TRUE(blocks_isolation(evaluate_checks(f)));
}

TEST(CheckRules, RenderText) {
  CheckFacts f = healthy_v1();
  f.runtime.reset();
  f.runtime_error = "no runc";
  const std::string text = render_findings_text(evaluate_checks(f));
  EXPECT_NE(text.find("[FAIL] runtime: no runc\n       fix: "), std::string::npos);
  EXPECT_NE(text.find("[ OK ] cgroup: cgroup v1 cpuset at /sys/fs/cgroup/cpuset"), std::string::npos);
  EXPECT_NE(text.find("summary: 1 blocking"), std::string::npos);
  const auto doc = nlohmann::json::parse(render_findings_json(evaluate_checks(f)));
  EXPECT_TRUE(doc["blocking"].get<bool>());
  EXPECT_GT(doc["findings"].size(), 3U);
}

// ---- Tunings: one line per knob, never an error ----

struct KnobRow {
  const char* name;
  std::vector<Knob> honoured;  // config.knobs
  std::vector<KnobReadiness> readiness;
  OnFailure on_failure;
  Severity severity;
  const char* topic;
  const char* what;  // a part of the finding's text
  const char* fix;   // a part of its fix ("" = no fix)
};

void PrintTo(const KnobRow& r, std::ostream* os) { *os << r.name; }

class KnobLines : public ::testing::TestWithParam<KnobRow> {};

TEST_P(KnobLines, SeverityTextAndFix) {
  const KnobRow& row = GetParam();
  CheckFacts f = healthy_v1();
  f.host.online = CpuSet::range(0, 3);
  f.host.cpu_mount = "/sys/fs/cgroup/cpu,cpuacct";
  f.config.min_housekeeping_cpus = 1;
  f.config.knobs = row.honoured;
  f.config.on_failure = row.on_failure;
  f.knobs = row.readiness;
  const auto fs = evaluate_checks(f);
  auto it = std::find_if(fs.begin(), fs.end(), [&](const Finding& x) {
    return x.topic == row.topic && x.what.find(row.what) != std::string::npos;
  });
  ASSERT_NE(it, fs.end()) << render_findings_text(fs);
  EXPECT_EQ(it->severity, row.severity) << it->what;
  if (*row.fix == '\0') {
    EXPECT_EQ(it->fix, "");
  } else {
    EXPECT_NE(it->fix.find(row.fix), std::string::npos) << it->fix;
  }
  // check's exit status answers "can this node isolate CPUs": a knob it
  // cannot honour never changes that answer.
  EXPECT_FALSE(blocks_isolation(fs)) << render_findings_text(fs);
}

const std::vector<Knob> kAll(kAllKnobs.begin(), kAllKnobs.end());

INSTANTIATE_TEST_SUITE_P(
    CheckRules, KnobLines,
    ::testing::Values(
        KnobRow{"CStatesReady",
                kAll,
                {{Knob::kCStates, ""}},
                OnFailure::kFail,
                Severity::kOk,
                "cpu-c-states",
                "PM QoS resume latency files present on CPUs 0-3",
                ""},
        KnobRow{"GovernorReady",
                kAll,
                {{Knob::kGovernor, ""}},
                OnFailure::kFail,
                Severity::kOk,
                "cpu-freq-governor",
                "cpufreq policies present on CPUs 0-3",
                ""},
        KnobRow{"QuotaReadyNamesTheMount",
                kAll,
                {{Knob::kCpuQuota, ""}},
                OnFailure::kFail,
                Severity::kOk,
                "cpu-quota",
                "the cpu controller is mounted at /sys/fs/cgroup/cpu,cpuacct",
                ""},
        KnobRow{"IrqReady",
                kAll,
                {{Knob::kIrqLoadBalancing, ""}},
                OnFailure::kFail,
                Severity::kOk,
                "irq-load-balancing",
                "/proc/irq/default_smp_affinity is present",
                ""},
        KnobRow{"GovernorMissingFailsPods",
                kAll,
                {{Knob::kGovernor, "CPU 0 has no cpufreq policy (/sys/devices/system/cpu/cpufreq/policy0)"}},
                OnFailure::kFail,
                Severity::kWarn,
                "cpu-freq-governor",
                "unavailable: CPU 0 has no cpufreq policy (/sys/devices/system/cpu/cpufreq/policy0): a pod "
                "asking for it fails to start under on_failure = \"fail\"",
                "take \"cpu-freq-governor\" out of knobs in /etc/runc-isolcpus/config.toml"},
        KnobRow{"CStatesMissingUnderWarn",
                kAll,
                {{Knob::kCStates, "pm_qos_resume_latency_us does not exist"}},
                OnFailure::kWarn,
                Severity::kWarn,
                "cpu-c-states",
                "a pod asking for it starts without its isolation and tunings under on_failure = \"warn\"",
                "PM QoS"},
        KnobRow{"QuotaWithoutCpuController",
                kAll,
                {{Knob::kCpuQuota, "no cgroup hierarchy has the cpu controller"}},
                OnFailure::kFail,
                Severity::kWarn,
                "cpu-quota",
                "unavailable: no cgroup hierarchy",
                "mount the cpu controller"},
        KnobRow{
            "NotHonouredIsANoteNamingTheKey",
            {Knob::kCpuQuota},
            {{Knob::kCpuQuota, ""}},
            OnFailure::kFail,
            Severity::kInfo,
            "cpu-freq-governor",
            "not honoured (not in the config key `knobs`): a pod's cpu-freq-governor.crio.io annotation is "
            "ignored with a warning",
            ""},
        KnobRow{"NotHonouredEvenIfUnavailable",
                {},
                {},
                OnFailure::kFail,
                Severity::kInfo,
                "cpu-c-states",
                "config key `knobs`",
                ""}),
    [](const ::testing::TestParamInfo<KnobRow>& row) { return std::string(row.param.name); });

TEST(CheckRules, KnobLineRendered) {
  CheckFacts f = healthy_v1();
  f.config.knobs = {Knob::kGovernor};
  f.knobs = {{Knob::kGovernor, "CPU 0 has no cpufreq policy"}};
  const std::string text = render_findings_text(evaluate_checks(f));
  EXPECT_NE(
      text.find("[WARN] cpu-freq-governor: unavailable: CPU 0 has no cpufreq policy: a pod asking for it "
                "fails to start under on_failure = \"fail\"\n       fix: load a cpufreq driver"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("[INFO] cpu-quota: not honoured"), std::string::npos) << text;
  EXPECT_NE(text.find("this node can isolate CPUs"), std::string::npos) << text;
}

TEST(CheckRules, UnreadableTunerIsOneWarning) {
  CheckFacts f = healthy_v1();
  f.tuner_error = "cannot read /sys/devices/system/cpu/online";
  const auto fs = evaluate_checks(f);
  EXPECT_NE(find(fs, Severity::kWarn, "cannot tell which tunings this node can honour"), nullptr);
  EXPECT_EQ(std::count_if(fs.begin(), fs.end(), [](const Finding& x) { return x.topic == "cpu-quota"; }), 0);
  EXPECT_FALSE(blocks_isolation(fs));
  f.probe_error = "no /proc";  // said once, by the host's error
  EXPECT_EQ(find(evaluate_checks(f), Severity::kWarn, "cannot tell"), nullptr);
}

// ---- irqbalance: how it is told the ban list ----

struct IrqBalanceRow {
  const char* name;
  IrqBalanceFacts facts;
  Severity severity;
  const char* what;  // a part of the line
};

class IrqBalanceRule : public ::testing::TestWithParam<IrqBalanceRow> {};

TEST_P(IrqBalanceRule, OneLineUnderTheIrqKnob) {
  const auto& row = GetParam();
  CheckFacts f = healthy_v1();
  f.config.knobs = {Knob::kIrqLoadBalancing};
  f.knobs = {{Knob::kIrqLoadBalancing, ""}};
  f.irqbalance = row.facts;
  const auto fs = evaluate_checks(f);
  const Finding* line = find(fs, row.severity, row.what);
  ASSERT_NE(line, nullptr) << render_findings_text(fs);
  EXPECT_EQ(line->topic, "irqbalance");
  EXPECT_EQ(line->fix.empty(), row.severity == Severity::kOk);
  EXPECT_FALSE(blocks_isolation(fs));
  // No line when the IRQ knob is not honoured or unavailable.
  f.knobs = {{Knob::kIrqLoadBalancing, "no /proc/irq"}};
  const auto none = evaluate_checks(f);
  EXPECT_EQ(std::count_if(none.begin(), none.end(), [](const Finding& x) { return x.topic == "irqbalance"; }),
            0);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, IrqBalanceRule,
    ::testing::Values(
        IrqBalanceRow{
            "SocketIsLive",
            {"/usr/sbin/irqbalance",
             true,
             false,
             {"/run/irqbalance/irqbalance7.sock"},
             "/etc/default/irqbalance"},
            Severity::kOk,
            "answers at /run/irqbalance/irqbalance7.sock: it is given the ban list live, never restarted"},
        IrqBalanceRow{"NotInstalled", {}, Severity::kOk, "not installed"},
        IrqBalanceRow{"FileWithTheList",
                      {"/usr/sbin/irqbalance", true, false, {}, "/etc/default/irqbalance"},
                      Severity::kOk,
                      "goes in /etc/default/irqbalance as IRQBALANCE_BANNED_CPULIST, and `runc-isolcpus-ctl "
                      "reconcile` restarts irqbalance.service"},
        IrqBalanceRow{"OldDaemonReadsTheMask",
                      {"/usr/sbin/irqbalance", false, true, {}, "/etc/sysconfig/irqbalance"},
                      Severity::kOk,
                      "as IRQBALANCE_BANNED_CPUS (before 1.8)"},
        IrqBalanceRow{"NoFileToWrite",
                      {"/usr/sbin/irqbalance", true, false, {}, std::nullopt},
                      Severity::kWarn,
                      "neither /etc/default/irqbalance nor /etc/sysconfig/irqbalance exists"},
        IrqBalanceRow{"UnknownDaemon",
                      {"/sbin/irqbalance", false, false, {}, "/etc/default/irqbalance"},
                      Severity::kWarn,
                      "names neither IRQBALANCE_BANNED_CPULIST nor IRQBALANCE_BANNED_CPUS"}),
    [](const ::testing::TestParamInfo<IrqBalanceRow>& row) { return std::string(row.param.name); });

// ---- Drift: a tuning's file that reads otherwise than its holders want ----

LedgerEntry tuned(const char* id, EntryState state, std::vector<TuningChange> changes) {
  LedgerEntry e;
  e.container_id = id;
  e.state = state;
  e.cpus = CpuSet::of({2, 3});
  e.cpuset_isolation = false;
  e.tunings = {{Knob::kCStates, "disable"}};
  e.tuning_changes = std::move(changes);
  return e;
}

const char* const kLatency = "/sys/devices/system/cpu/cpu2/power/pm_qos_resume_latency_us";
const char* const kQuota = "/sys/fs/cgroup/kubepods/pod1/cpu.max";

TuningChange change(Knob knob, const char* file, const char* written) {
  return TuningChange{knob, file, "0", written, CpuSet::of({2})};
}

TEST(TuningDrift, OnlyFilesOfSettledContainersThatReadOtherwise) {
  const std::vector<LedgerEntry> entries = {
      tuned("a", EntryState::kIsolated, {change(Knob::kCStates, kLatency, "n/a")}),
      tuned("b", EntryState::kIsolating, {change(Knob::kCStates, "/isolating/file", "n/a")}),
      tuned("c", EntryState::kIsolated, {change(Knob::kCStates, "/gone/file", "n/a")}),
      tuned("d", EntryState::kIsolated, {change(Knob::kCStates, "/unread/file", "n/a")}),
      tuned("e", EntryState::kIsolated, {change(Knob::kCStates, "/fine/file", "n/a")}),
  };
  const std::map<std::string, std::string> reads = {
      {kLatency, "0"}, {"/isolating/file", "0"}, {"/gone/file", "(gone)"}, {"/fine/file", "n/a"}};
  const std::map<std::string, std::string> wants = {{kLatency, "n/a"}};  // others: `written`
  const std::set<std::string> drifted = {kLatency, "/isolating/file"};   // as read_tunings judges them
  const auto drift = tuning_drift(entries, TuningReadings{reads, wants, drifted, std::nullopt});
  ASSERT_EQ(drift.size(), 1U);
  EXPECT_EQ(drift[0],
            std::string("cpu-c-states: ") + kLatency +
                " reads \"0\", not \"n/a\" (held by container a); `runc-isolcpus-ctl reconcile` sets "
                "it back");
}

TEST(TuningDrift, SharedFileIsOneProblemNamingEveryHolder) {
  const std::vector<LedgerEntry> entries = {
      tuned("a", EntryState::kIsolated, {change(Knob::kCpuQuota, kQuota, "-1 100000")}),
      tuned("b", EntryState::kIsolated, {change(Knob::kCpuQuota, kQuota, "-1 100000")}),
  };
  const auto drift = tuning_drift(
      entries, TuningReadings{{{kQuota, "200000 100000"}}, {{kQuota, "max 100000"}}, {kQuota}, std::nullopt});
  ASSERT_EQ(drift.size(), 1U);
  EXPECT_NE(drift[0].find("reads \"200000 100000\", not \"max 100000\" (held by containers a, b)"),
            std::string::npos)
      << drift[0];
}

}  // namespace
}  // namespace isolcpus
