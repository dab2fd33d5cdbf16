// tunings_asked() and decide() with the other knobs: one row per value of
// each annotation, per-container keys, honoured knobs, and how tunings and
// load balancing combine in the decision.
#include "isolcpus/tuning_policy.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "isolcpus/policy.hpp"

namespace isolcpus {
namespace {

const std::vector<Knob> kAll = {Knob::kCpuQuota, Knob::kCStates, Knob::kGovernor, Knob::kIrqLoadBalancing};

struct Row {
  std::string name;
  std::map<std::string, std::string> annotations;
  std::vector<Tuning> tunings;
  std::string refusal;  // substring of the one refusal, "" for none
  std::string warning;  // substring of the one warning, "" for none
  std::vector<Knob> honoured = kAll;
};
void PrintTo(const Row& r, std::ostream* os) { *os << r.name; }

class Asked : public ::testing::TestWithParam<Row> {};

TEST_P(Asked, Row) {
  const auto& row = GetParam();
  ContainerSpec spec;
  spec.annotations = row.annotations;
  const auto asked = tunings_asked(spec, row.honoured, "app");
  EXPECT_EQ(asked.tunings, row.tunings);
  if (row.refusal.empty()) {
    EXPECT_TRUE(asked.refusals.empty()) << asked.refusals[0];
  } else {
    ASSERT_EQ(asked.refusals.size(), 1U);
    EXPECT_NE(asked.refusals[0].find(row.refusal), std::string::npos) << asked.refusals[0];
  }
  if (row.warning.empty()) {
    EXPECT_TRUE(asked.warnings.empty()) << asked.warnings[0];
  } else {
    ASSERT_EQ(asked.warnings.size(), 1U);
    EXPECT_NE(asked.warnings[0].find(row.warning), std::string::npos) << asked.warnings[0];
  }
}

INSTANTIATE_TEST_SUITE_P(
    Values, Asked,
    ::testing::Values(
        Row{"Nothing", {}, {}, "", ""},
        Row{"QuotaDisable", {{"cpu-quota.crio.io", "disable"}}, {{Knob::kCpuQuota, "disable"}}, "", ""},
        Row{"QuotaTrueIsDeprecated",
            {{"cpu-quota.crio.io", "true"}},
            {{Knob::kCpuQuota, "disable"}},
            "",
            "cpu-quota.crio.io: annotation value \"true\" is deprecated"},
        Row{"QuotaEnableIsTheDefault", {{"cpu-quota.crio.io", "enable"}}, {}, "", ""},
        Row{"QuotaUnknownIsRefusedNamingTheValues",
            {{"cpu-quota.crio.io", "off"}},
            {},
            "annotation cpu-quota.crio.io=\"off\" is not a value it takes; use \"disable\" or \"enable\"",
            ""},
        Row{"QuotaContainerKeyWins",
            {{"cpu-quota.crio.io", "disable"}, {"cpu-quota.crio.io/app", "enable"}},
            {},
            "",
            ""},
        Row{"QuotaContainerKeyAlone",
            {{"cpu-quota.crio.io/app", "disable"}},
            {{Knob::kCpuQuota, "disable"}},
            "",
            ""},
        Row{"QuotaOtherContainersKeyIsNotOurs", {{"cpu-quota.crio.io/db", "disable"}}, {}, "", ""},
        Row{"CStatesDisable", {{"cpu-c-states.crio.io", "disable"}}, {{Knob::kCStates, "disable"}}, "", ""},
        Row{"CStatesEnable", {{"cpu-c-states.crio.io", "enable"}}, {{Knob::kCStates, "enable"}}, "", ""},
        Row{"CStatesMaxLatency",
            {{"cpu-c-states.crio.io", "max_latency:10"}},
            {{Knob::kCStates, "max_latency:10"}},
            "",
            ""},
        Row{"CStatesZeroLatencyIsRefused",
            {{"cpu-c-states.crio.io", "max_latency:0"}},
            {},
            "max_latency:<microseconds>\" (a positive integer)",
            ""},
        Row{"CStatesLatencyNotANumber",
            {{"cpu-c-states.crio.io", "max_latency:1e3"}},
            {},
            "cpu-c-states",
            ""},
        Row{"CStatesLatencyTooBig",
            {{"cpu-c-states.crio.io", "max_latency:99999999999"}},
            {},
            "cpu-c-states",
            ""},
        Row{"CStatesLatencyLeadingZerosAreDecimal",
            {{"cpu-c-states.crio.io", "max_latency:010"}},
            {{Knob::kCStates, "max_latency:10"}},
            "",
            ""},
        Row{"CStatesLatencyTheKernelsNoConstraintIsRefused",
            {{"cpu-c-states.crio.io", "max_latency:2147483647"}},
            {},
            "cpu-c-states",
            ""},
        Row{"CStatesHasNoContainerKey", {{"cpu-c-states.crio.io/app", "disable"}}, {}, "", ""},
        Row{"Governor",
            {{"cpu-freq-governor.crio.io", "performance"}},
            {{Knob::kGovernor, "performance"}},
            "",
            ""},
        Row{"GovernorNotAName", {{"cpu-freq-governor.crio.io", "../../etc"}}, {}, "governor's name", ""},
        Row{"GovernorTooLong",
            {{"cpu-freq-governor.crio.io", "averyveryverylonggovernor"}},
            {},
            "governor",
            ""},
        Row{"IrqHousekeeping",
            {{"irq-load-balancing.crio.io", "housekeeping"}},
            {{Knob::kIrqLoadBalancing, "housekeeping"}},
            "",
            ""},
        Row{"NotHonouredIsIgnoredWithAWarning",
            {{"cpu-freq-governor.crio.io", "performance"}},
            {},
            "",
            "this node does not honour cpu-freq-governor (config key `knobs`)",
            {Knob::kCpuQuota}},
        Row{"AllInCrioOrder",
            {{"cpu-freq-governor.crio.io", "performance"},
             {"cpu-c-states.crio.io", "disable"},
             {"cpu-quota.crio.io", "disable"},
             {"irq-load-balancing.crio.io", "disable"}},
            {{Knob::kIrqLoadBalancing, "disable"},
             {Knob::kCpuQuota, "disable"},
             {Knob::kCStates, "disable"},
             {Knob::kGovernor, "performance"}},
            "",
            ""}),
    [](const auto& row) { return row.param.name; });

ContainerSpec guaranteed() {
  ContainerSpec spec;
  spec.cpus = CpuSet::range(2, 3);
  spec.shares = 2048;
  spec.cgroups_path = "/kubepods/pod1/c1";
  spec.annotations = {{"io.kubernetes.cri-o.ContainerType", "container"},
                      {"io.kubernetes.pod.namespace", "telco"},
                      {"io.kubernetes.pod.name", "rt"},
                      {"io.kubernetes.container.name", "app"}};
  return spec;
}

HostCpus eight() {
  HostCpus host;
  host.online = CpuSet::range(0, 7);
  return host;
}

TEST(DecideTunings, TuningsAloneIsolateWithLoadBalancingLeftOn) {
  auto spec = guaranteed();
  spec.annotations["cpu-quota.crio.io"] = "disable";
  const auto d = decide(spec, PolicyConfig{}, eight());
  EXPECT_EQ(d.verdict, Verdict::kIsolate) << d.reason;
  EXPECT_FALSE(d.cpuset_isolation);
  EXPECT_EQ(d.tunings, (std::vector<Tuning>{{Knob::kCpuQuota, "disable"}}));
  EXPECT_NE(d.reason.find("load balancing left on"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("cpu-quota.crio.io=disable"), std::string::npos) << d.reason;
}

TEST(DecideTunings, BothTogether) {
  auto spec = guaranteed();
  spec.annotations["cpu-load-balancing.crio.io"] = "disable";
  spec.annotations["cpu-c-states.crio.io"] = "max_latency:5";
  const auto d = decide(spec, PolicyConfig{}, eight());
  EXPECT_EQ(d.verdict, Verdict::kIsolate);
  EXPECT_TRUE(d.cpuset_isolation);
  EXPECT_EQ(d.tunings, (std::vector<Tuning>{{Knob::kCStates, "max_latency:5"}}));
}

TEST(DecideTunings, EligibilityAppliesToTuningsToo) {
  auto spec = guaranteed();
  spec.annotations["cpu-quota.crio.io"] = "disable";
  spec.cgroups_path = "/kubepods/burstable/pod1/c1";
  EXPECT_EQ(decide(spec, PolicyConfig{}, eight()).verdict, Verdict::kSkip);
  spec = guaranteed();
  spec.annotations["cpu-quota.crio.io"] = "disable";
  spec.annotations["io.kubernetes.cri-o.ContainerType"] = "sandbox";
  EXPECT_EQ(decide(spec, PolicyConfig{}, eight()).verdict, Verdict::kSkip);
}

TEST(DecideTunings, AnUnknownValueIsARefusalAndSoIsAGuardrail) {
  auto spec = guaranteed();
  spec.annotations["cpu-c-states.crio.io"] = "deep";
  auto d = decide(spec, PolicyConfig{}, eight());
  EXPECT_EQ(d.verdict, Verdict::kRefuse);
  EXPECT_NE(d.reason.find("cpu-c-states.crio.io=\"deep\""), std::string::npos) << d.reason;
  spec = guaranteed();
  spec.annotations["cpu-quota.crio.io"] = "disable";
  PolicyConfig policy;
  policy.allowed_namespaces = {"other"};
  d = decide(spec, policy, eight());
  EXPECT_EQ(d.verdict, Verdict::kRefuse);
  EXPECT_NE(d.reason.find("allowed_namespaces"), std::string::npos) << d.reason;
}

TEST(DecideTunings, ModeNeverTouchesNothing) {
  auto spec = guaranteed();
  spec.annotations["cpu-quota.crio.io"] = "disable";
  PolicyConfig policy;
  policy.mode = Mode::kNever;
  EXPECT_EQ(decide(spec, policy, eight()).verdict, Verdict::kSkip);
}

TEST(DecideTunings, ContainerOptOutOfLoadBalancingKeepsItsTunings) {
  auto spec = guaranteed();
  spec.annotations["cpu-load-balancing.crio.io"] = "disable";
  spec.annotations["cpu-load-balancing.crio.io/app"] = "enable";
  spec.annotations["cpu-quota.crio.io"] = "disable";
  const auto d = decide(spec, PolicyConfig{}, eight());
  EXPECT_EQ(d.verdict, Verdict::kIsolate);
  EXPECT_FALSE(d.cpuset_isolation);
  EXPECT_EQ(d.tunings.size(), 1U);
}

TEST(KnobNames, RoundTripAndAnnotationKeys) {
  for (const Knob k : kAllKnobs) {
    EXPECT_EQ(knob_from_name(knob_name(k)), k);
  }
  EXPECT_EQ(annotation_key(Knob::kGovernor), "cpu-freq-governor.crio.io");
  EXPECT_FALSE(knob_from_name("cpu-load-balancing"));
}

}  // namespace
}  // namespace isolcpus
