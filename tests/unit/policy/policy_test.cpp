// decide(): one row per rule and per interesting combination of mode x pod
// annotation x per-container override x eligibility x guardrail.  Every row
// asserts the verdict, the CPUs, a piece of the reason and the warnings.
#include "isolcpus/policy.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace isolcpus {
namespace {

constexpr const char* kPod = "cpu-load-balancing.crio.io";
constexpr const char* kOverride = "cpu-load-balancing.crio.io/app";
constexpr const char* kDeprecated = "annotation value \"true\" is deprecated; use \"disable\"";
constexpr const char* kIgnored = "is ignored; use \"disable\" to opt this container in or \"enable\"";

// Everything decide() sees.  The base is a Guaranteed, pinned, CRI-O-shaped
// container on an 8-CPU node with nothing isolated and no guardrails set.
struct World {
  ContainerSpec spec;
  PolicyConfig policy;
  HostCpus host;
};

World base_world() {
  World w;
  w.spec.cpus = CpuSet::range(2, 3);
  w.spec.shares = 2048;
  w.spec.quota = 200000;
  w.spec.period = 100000;
  w.spec.cgroups_path = "/kubepods/pod1b2c/c0ffee";
  w.spec.annotations = {
      {"io.kubernetes.cri-o.ContainerType", "container"},
      {"io.kubernetes.pod.namespace", "telco"},
      {"io.kubernetes.pod.name", "rt-pod"},
      {"io.kubernetes.container.name", "app"},
  };
  w.host.online = CpuSet::range(0, 7);
  return w;
}

using Mutation = std::function<void(World&)>;

// The base world as containerd would have written it, without any identity
// keys (rows add the ones they test).
void as_containerd(World& w) {
  for (const char* key : {"io.kubernetes.cri-o.ContainerType", "io.kubernetes.pod.namespace",
                          "io.kubernetes.pod.name", "io.kubernetes.container.name"}) {
    w.spec.annotations.erase(key);
  }
  w.spec.annotations["io.kubernetes.cri.container-type"] = "container";
  w.spec.annotations["io.kubernetes.cri.sandbox-id"] = "5b1e";
}

struct Row {
  std::string name;
  Mode mode;
  std::optional<std::string> pod;       // cpu-load-balancing.crio.io
  std::optional<std::string> override;  // cpu-load-balancing.crio.io/app
  Mutation mutate;                      // eligibility / guardrail setup
  Verdict verdict;
  std::string cpus;  // Decision::cpus, kernel list format
  std::string reason;
  std::vector<std::string> warnings = {};  // each a substring of one warning, in order
};
void PrintTo(const Row& r, std::ostream* os) { *os << r.name; }

const Mutation kNothing = [](World&) {};

constexpr Mode kAnn = Mode::kAnnotation;
constexpr Mode kAlways = Mode::kAlways;
constexpr Mode kNever = Mode::kNever;
constexpr Verdict kSkip = Verdict::kSkip;
constexpr Verdict kIsolate = Verdict::kIsolate;
constexpr Verdict kRefuse = Verdict::kRefuse;
const std::optional<std::string> kNone;

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kSkip:
      return "Skip";
    case Verdict::kIsolate:
      return "Isolate";
    case Verdict::kRefuse:
      return "Refuse";
  }
  return "?";
}

class Decide : public ::testing::TestWithParam<Row> {};

TEST_P(Decide, Row) {
  const auto& row = GetParam();
  World w = base_world();
  w.policy.mode = row.mode;
  if (row.pod) {
    w.spec.annotations[kPod] = *row.pod;
  }
  if (row.override) {
    w.spec.annotations[kOverride] = *row.override;
  }
  row.mutate(w);

  const Decision d = decide(w.spec, w.policy, w.host);
  EXPECT_EQ(verdict_name(d.verdict), std::string(verdict_name(row.verdict))) << d.reason;
  EXPECT_EQ(d.cpus.to_string(), row.cpus);
  EXPECT_NE(d.reason.find(row.reason), std::string::npos) << "reason: " << d.reason;
  ASSERT_EQ(d.warnings.size(), row.warnings.size()) << (d.warnings.empty() ? "" : d.warnings[0]);
  for (std::size_t i = 0; i < row.warnings.size(); ++i) {
    EXPECT_NE(d.warnings[i].find(row.warnings[i]), std::string::npos) << "warning: " << d.warnings[i];
  }
}

// --- mode x pod annotation x per-container override, eligible container ---
INSTANTIATE_TEST_SUITE_P(
    OptIn, Decide,
    ::testing::Values(
        // mode=annotation: the pod annotation.
        Row{"AnnNothing", kAnn, kNone, kNone, kNothing, kSkip, "",
            "annotation cpu-load-balancing.crio.io is absent"},
        Row{"AnnPodDisable", kAnn, "disable", kNone, kNothing, kIsolate, "2-3",
            "opted in by pod annotation cpu-load-balancing.crio.io=disable"},
        Row{"AnnPodTrueDeprecated",
            kAnn,
            "true",
            kNone,
            kNothing,
            kIsolate,
            "2-3",
            "pod annotation cpu-load-balancing.crio.io=true",
            {kDeprecated}},
        Row{"AnnPodEnable", kAnn, "enable", kNone, kNothing, kSkip, "",
            "cpu-load-balancing.crio.io=\"enable\" (only \"disable\" opts in)"},
        Row{"AnnPodFalse", kAnn, "false", kNone, kNothing, kSkip, "", "only \"disable\" opts in"},
        Row{"AnnPodEmpty", kAnn, "", kNone, kNothing, kSkip, "", "cpu-load-balancing.crio.io=\"\""},
        Row{"AnnPodCaseMatters", kAnn, "Disable", kNone, kNothing, kSkip, "", "=\"Disable\""},
        // The ledger's record of the opt-in (an update whose bundle is
        // unreadable): it stands in for a missing annotation only.
        Row{"RecordedOptInWithoutAnnotation", kAnn, kNone, kNone,
            [](World& w) { w.host.opt_in_recorded = true; }, kIsolate, "2-3",
            "opted in when the ledger recorded the container"},
        Row{"RecordedOptInOfABlankSpec", kAnn, kNone, kNone,
            [](World& w) {
              const CpuSet cpus = *w.spec.cpus;
              w.spec = ContainerSpec{};
              w.spec.cpus = cpus;
              w.spec.shares = 2048;
              w.host.opt_in_recorded = true;
            },
            kIsolate, "2-3", "opted in when the ledger recorded the container"},
        Row{"RecordedOptInDoesNotOverrideAnAnnotation", kAnn, "enable", kNone,
            [](World& w) { w.host.opt_in_recorded = true; }, kSkip, "", "only \"disable\" opts in"},
        Row{"RecordedOptInStillMeetsTheGuardrails", kAnn, kNone, kNone,
            [](World& w) {
              w.host.opt_in_recorded = true;
              w.host.isolated = CpuSet::of({3});
            },
            kRefuse, "2-3", "CPUs 3 are already isolated"},
        Row{"RecordedOptInMeansNothingInModeNever", kNever, kNone, kNone,
            [](World& w) { w.host.opt_in_recorded = true; }, kSkip, "", "mode=never"},
        Row{"AnnPodTrueCaseMatters", kAnn, "TRUE", kNone, kNothing, kSkip, "", "=\"TRUE\""},
        // mode=annotation: the override wins over the pod annotation.
        Row{"AnnOverrideDisableAlone", kAnn, kNone, "disable", kNothing, kIsolate, "2-3",
            "opted in by container annotation cpu-load-balancing.crio.io/app=disable"},
        Row{"AnnOverrideDisableBeatsPodEnable", kAnn, "enable", "disable", kNothing, kIsolate, "2-3",
            "container annotation cpu-load-balancing.crio.io/app=disable"},
        Row{"AnnOverrideDisableWithPodDisable", kAnn, "disable", "disable", kNothing, kIsolate, "2-3",
            "container annotation"},
        Row{"AnnOverrideEnableBeatsPodDisable", kAnn, "disable", "enable", kNothing, kSkip, "",
            "opted out by container annotation cpu-load-balancing.crio.io/app=enable"},
        Row{"AnnOverrideEnableBeatsPodTrueNoWarning", kAnn, "true", "enable", kNothing, kSkip, "",
            "opted out"},
        Row{"AnnOverrideEnableAlone", kAnn, kNone, "enable", kNothing, kSkip, "", "opted out"},
        Row{"AnnOverrideBogusFallsBackToPod",
            kAnn,
            "disable",
            "off",
            kNothing,
            kIsolate,
            "2-3",
            "pod annotation cpu-load-balancing.crio.io=disable",
            {"cpu-load-balancing.crio.io/app=\"off\" " + std::string(kIgnored)}},
        Row{"AnnOverrideBogusNoPod", kAnn, kNone, "yes", kNothing, kSkip, "", "is absent", {kIgnored}},
        Row{"AnnOverrideTrueIsNotAnOverrideValue",
            kAnn,
            kNone,
            "true",
            kNothing,
            kSkip,
            "",
            "is absent",
            {"cpu-load-balancing.crio.io/app=\"true\" is ignored"}},
        Row{"AnnOverrideEmptyIsIgnored",
            kAnn,
            kNone,
            "",
            kNothing,
            kSkip,
            "",
            "is absent",
            {"cpu-load-balancing.crio.io/app=\"\" is ignored"}},
        Row{"AnnOverrideBogusAndPodTrueTwoWarnings",
            kAnn,
            "true",
            "maybe",
            kNothing,
            kIsolate,
            "2-3",
            "pod annotation",
            {kIgnored, kDeprecated}},
        Row{"AnnOverrideForOtherContainerIgnored", kAnn, kNone, kNone,
            [](World& w) { w.spec.annotations["cpu-load-balancing.crio.io/sidecar"] = "disable"; }, kSkip, "",
            "is absent"},
        Row{"AnnOtherContainerOptOutDoesNotAffectUs", kAnn, "disable", kNone,
            [](World& w) { w.spec.annotations["cpu-load-balancing.crio.io/sidecar"] = "enable"; }, kIsolate,
            "2-3", "pod annotation"},
        Row{"AnnOverrideNeedsAContainerName", kAnn, kNone, "disable",
            [](World& w) { w.spec.annotations.erase("io.kubernetes.container.name"); }, kSkip, "",
            "is absent"},
        Row{"AnnOverrideByContainerdName", kAnn, kNone, kNone,
            [](World& w) {
              as_containerd(w);
              w.spec.annotations["io.kubernetes.cri.container-name"] = "dpdk";
              w.spec.annotations["cpu-load-balancing.crio.io/dpdk"] = "disable";
            },
            kIsolate, "2-3", "container annotation cpu-load-balancing.crio.io/dpdk=disable"},
        // Under CRI-O a containerd name can only be the pod's own annotation.
        Row{"AnnForgedContainerdNameUnderCrioRefused", kAnn, kNone, "disable",
            [](World& w) {
              w.spec.annotations["io.kubernetes.cri.container-name"] = "dpdk";
              w.spec.annotations["cpu-load-balancing.crio.io/dpdk"] = "enable";
            },
            kRefuse, "2-3",
            "annotations disagree on the container name: io.kubernetes.container.name=\"app\" (written by "
            "CRI-O) but io.kubernetes.cri.container-name=\"dpdk\""},
        // mode=always: the handler is the opt-in; only the override opts out.
        Row{"AlwaysNothing", kAlways, kNone, kNone, kNothing, kIsolate, "2-3", "mode=always"},
        Row{"AlwaysPodEnableIrrelevant", kAlways, "enable", kNone, kNothing, kIsolate, "2-3", "mode=always"},
        Row{"AlwaysPodTrueNoWarning", kAlways, "true", kNone, kNothing, kIsolate, "2-3", "mode=always"},
        Row{"AlwaysOverrideEnableOptsOut", kAlways, kNone, "enable", kNothing, kSkip, "",
            "opted out by container annotation cpu-load-balancing.crio.io/app=enable"},
        Row{"AlwaysOverrideEnableBeatsPodDisable", kAlways, "disable", "enable", kNothing, kSkip, "",
            "opted out"},
        Row{"AlwaysOverrideDisable", kAlways, kNone, "disable", kNothing, kIsolate, "2-3",
            "container annotation"},
        Row{"AlwaysOverrideBogusWarns",
            kAlways,
            kNone,
            "nope",
            kNothing,
            kIsolate,
            "2-3",
            "mode=always",
            {kIgnored}},
        // mode=never wins over everything, silently.
        Row{"NeverNothing", kNever, kNone, kNone, kNothing, kSkip, "", "mode=never"},
        Row{"NeverPodDisable", kNever, "disable", kNone, kNothing, kSkip, "", "mode=never"},
        Row{"NeverPodTrueNoWarning", kNever, "true", kNone, kNothing, kSkip, "", "mode=never"},
        Row{"NeverOverrideDisable", kNever, "disable", "disable", kNothing, kSkip, "", "mode=never"},
        Row{"NeverOverrideBogusNoWarning", kNever, kNone, "bogus", kNothing, kSkip, "", "mode=never"},
        Row{"NeverSandbox", kNever, "disable", kNone,
            [](World& w) { w.spec.annotations["io.kubernetes.cri-o.ContainerType"] = "sandbox"; }, kSkip, "",
            "mode=never"}),
    [](const auto& row) { return row.param.name; });

Mutation set_shares(std::optional<std::uint64_t> shares) {
  return [shares](World& w) { w.spec.shares = shares; };
}
Mutation set_cgroups_path(std::string path) {
  return [path = std::move(path)](World& w) { w.spec.cgroups_path = path; };
}

// --- eligibility: opted in, but CRI-O would never honour it -> Skip ---
INSTANTIATE_TEST_SUITE_P(Eligibility, Decide,
                         ::
                             testing::Values(Row{"SandboxContainerd", kAnn, "disable", kNone,
                                                 [](World& w) {
                                                   w.spec.annotations["io.kubernetes.cri.container-type"] =
                                                       "sandbox";
                                                 },
                                                 kSkip, "", "sandbox (pause) container"},
                                             Row{"SandboxCrio", kAnn, "disable", kNone,
                                                 [](World& w) {
                                                   w.spec.annotations["io.kubernetes.cri-o.ContainerType"] =
                                                       "sandbox";
                                                 },
                                                 kSkip, "", "sandbox (pause) container"},
                                             Row{"SandboxModeAlways", kAlways, kNone, kNone,
                                                 [](World& w) {
                                                   w.spec.annotations["io.kubernetes.cri.container-type"] =
                                                       "sandbox";
                                                 },
                                                 kSkip, "", "sandbox"},
                                             Row{"SandboxOverrideDisable", kAnn, kNone, "disable",
                                                 [](World& w) {
                                                   w.spec.annotations["io.kubernetes.cri-o.ContainerType"] =
                                                       "sandbox";
                                                 },
                                                 kSkip, "", "sandbox"},
                                             Row{"SandboxDoesNotRepeatPodWarning", kAnn, "true", kNone,
                                                 [](World& w) {
                                                   w.spec.annotations["io.kubernetes.cri.container-type"] =
                                                       "sandbox";
                                                 },
                                                 kSkip, "", "sandbox"},
                                             Row{"ContainerTypeContainerIsFine", kAnn, "disable", kNone,
                                                 [](World& w) {
                                                   w.spec.annotations["io.kubernetes.cri.container-type"] =
                                                       "container";
                                                 },
                                                 kIsolate, "2-3", "pod annotation"},
                                             Row{"NoCpus", kAnn, "disable", kNone,
                                                 [](World& w) { w.spec.cpus.reset(); }, kSkip, "",
                                                 "no pinned CPUs (linux.resources.cpu.cpus is unset)"},
                                             Row{"EmptyCpus", kAnn, "disable", kNone,
                                                 [](World& w) { w.spec.cpus = CpuSet(); }, kSkip, "",
                                                 "no pinned CPUs"},
                                             Row{"NoCpusKeepsDeprecationWarning",
                                                 kAnn,
                                                 "true",
                                                 kNone,
                                                 [](World& w) { w.spec.cpus.reset(); },
                                                 kSkip,
                                                 "",
                                                 "no pinned CPUs",
                                                 {kDeprecated}},
                                             Row{"NoCpusModeAlways", kAlways, kNone, kNone,
                                                 [](World& w) { w.spec.cpus.reset(); }, kSkip, "",
                                                 "no pinned CPUs"},
                                             Row{"SharesUnset", kAnn, "disable", kNone,
                                                 set_shares(std::nullopt), kSkip, "", "cpu shares are unset"},
                                             Row{"SharesZero", kAnn, "disable", kNone, set_shares(0), kSkip,
                                                 "",
                                                 "cpu shares 0 are not a positive multiple of 1024 (whole "
                                                 "CPUs)"},
                                             Row{"SharesFractional", kAnn, "disable", kNone, set_shares(1536),
                                                 kSkip, "",
                                                 "cpu shares 1536 are not a positive multiple of 1024"},
                                             Row{"SharesJustBelowOneCpu", kAnn, "disable", kNone,
                                                 set_shares(1023), kSkip, "", "cpu shares 1023"},
                                             Row{"SharesMinimum", kAnn, "disable", kNone, set_shares(2),
                                                 kSkip, "", "cpu shares 2 "},
                                             Row{"SharesOneCpu", kAnn, "disable", kNone, set_shares(1024),
                                                 kIsolate, "2-3", "pod annotation"},
                                             Row{"SharesHundredCpus", kAnn, "disable", kNone,
                                                 set_shares(102400), kIsolate, "2-3", "pod annotation"},
                                             Row{"CgroupfsBurstable", kAnn, "disable", kNone,
                                                 set_cgroups_path("/kubepods/burstable/pod1/c0ffee"), kSkip,
                                                 "",
                                                 "cgroupsPath \"/kubepods/burstable/pod1/c0ffee\" is under "
                                                 "the non-Guaranteed QoS parent \"burstable\""},
                                             Row{"CgroupfsBesteffort", kAnn, "disable", kNone,
                                                 set_cgroups_path("/kubepods/besteffort/pod1/c0ffee"), kSkip,
                                                 "", "QoS parent \"besteffort\""},
                                             Row{"CgroupfsBurstableNoLeadingSlash", kAnn, "disable", kNone,
                                                 set_cgroups_path("kubepods/burstable/pod1/c0ffee"), kSkip,
                                                 "", "QoS parent \"burstable\""},
                                             Row{"SystemdBurstable", kAnn, "disable", kNone,
                                                 set_cgroups_path(
                                                     "kubepods-burstable-pod1b2c.slice:cri-containerd:"
                                                     "c0ffee"),
                                                 kSkip, "",
                                                 "QoS parent \"kubepods-burstable-pod1b2c.slice\""},
                                             Row{"SystemdBesteffort", kAnn, "disable", kNone,
                                                 set_cgroups_path(
                                                     "kubepods-besteffort-pod1b2c.slice:crio:c0ffee"),
                                                 kSkip, "",
                                                 "QoS parent \"kubepods-besteffort-pod1b2c.slice\""},
                                             Row{"SystemdQosSliceItself", kAnn, "disable", kNone,
                                                 set_cgroups_path("kubepods-burstable.slice:crio:c0ffee"),
                                                 kSkip, "", "kubepods-burstable.slice"},
                                             Row{"SystemdGuaranteed", kAnn, "disable", kNone,
                                                 set_cgroups_path("kubepods-pod1b2c.slice:crio:c0ffee"),
                                                 kIsolate, "2-3", "pod annotation"},
                                             Row{"SystemdExpandedBurstable", kAnn, "disable", kNone,
                                                 set_cgroups_path("/kubepods.slice/kubepods-burstable.slice/"
                                                                  "kubepods-burstable-pod1.slice/"
                                                                  "cri-containerd-c0ffee.scope"),
                                                 kSkip, "", "QoS parent \"kubepods-burstable.slice\""},
                                             Row{"SystemdExpandedBesteffort", kAnn, "disable", kNone,
                                                 set_cgroups_path(
                                                     "/kubepods.slice/kubepods-besteffort.slice/"
                                                     "kubepods-besteffort-pod1.slice/crio-c.scope"),
                                                 kSkip, "", "kubepods-besteffort.slice"},
                                             Row{"SystemdExpandedGuaranteed", kAnn, "disable", kNone,
                                                 set_cgroups_path(
                                                     "/kubepods.slice/kubepods-pod1.slice/crio-c0ffee.scope"),
                                                 kIsolate, "2-3", "pod annotation"},
                                             Row{"EmptyCgroupsPath", kAnn, "disable", kNone,
                                                 set_cgroups_path(""), kIsolate, "2-3", "pod annotation"},
                                             Row{"ContainerIdNamedBurstableIsNotAParent", kAnn, "disable",
                                                 kNone, set_cgroups_path("/kubepods/pod1/burstable"),
                                                 kIsolate, "2-3", "pod annotation"},
                                             Row{"LookalikeComponentIsNotQos", kAnn, "disable", kNone,
                                                 set_cgroups_path("/kubepods/burstablex/pod1/c"), kIsolate,
                                                 "2-3", "pod annotation"},
                                             Row{"LookalikeSliceIsNotQos", kAnn, "disable", kNone,
                                                 set_cgroups_path("kubepods-burstablex-pod1.slice:crio:c"),
                                                 kIsolate, "2-3", "pod annotation"},
                                             Row{"IneligibleBeatsGuardrail", kAnn, "disable", kNone,
                                                 [](World& w) {
                                                   w.spec.shares = 1536;
                                                   w.policy.allowed_namespaces = {"other"};
                                                 },
                                                 kSkip, "", "cpu shares 1536"},
                                             Row{"NotOptedInBeatsIneligible", kAnn, kNone, kNone,
                                                 set_shares(1536), kSkip, "", "is absent"}),
                         [](const auto& row) { return row.param.name; });

Mutation allow(std::vector<std::string> namespaces) {
  return [namespaces = std::move(namespaces)](World& w) { w.policy.allowed_namespaces = namespaces; };
}

// --- guardrails: opted in and eligible, but the node forbids it -> Refuse ---
INSTANTIATE_TEST_SUITE_P(
    Guardrails, Decide,
    ::testing::Values(
        Row{"AllowedNamespaceCrio", kAnn, "disable", kNone, allow({"rt", "telco"}), kIsolate, "2-3",
            "pod annotation"},
        Row{"AllowedNamespaceContainerd", kAnn, "disable", kNone,
            [](World& w) {
              as_containerd(w);
              w.spec.annotations["io.kubernetes.cri.sandbox-namespace"] = "rt";
              w.policy.allowed_namespaces = {"rt"};
            },
            kIsolate, "2-3", "pod annotation"},
        Row{"NamespaceNotAllowed", kAnn, "disable", kNone, allow({"rt", "media"}), kRefuse, "2-3",
            "namespace \"telco\" is not in allowed_namespaces [rt, media]"},
        Row{"NamespaceNotAllowedModeAlways", kAlways, kNone, kNone, allow({"rt"}), kRefuse, "2-3",
            "namespace \"telco\" is not in allowed_namespaces [rt]"},
        Row{"NamespaceNotAllowedViaOverride", kAnn, kNone, "disable", allow({"rt"}), kRefuse, "2-3",
            "not in allowed_namespaces"},
        Row{"NamespaceCaseMatters", kAnn, "disable", kNone, allow({"Telco"}), kRefuse, "2-3", "\"telco\" is not in"},
        Row{"NoNamespaceAnnotationRefused", kAnn, "disable", kNone,
            [](World& w) {
              w.spec.annotations.erase("io.kubernetes.pod.namespace");
              w.policy.allowed_namespaces = {"telco"};
            },
            kRefuse, "2-3",
            "no pod namespace annotation (io.kubernetes.pod.namespace, written by CRI-O) and "
            "allowed_namespaces is set to [telco]"},
        Row{"NoNamespaceAnnotationContainerdRefused", kAnn, "disable", kNone,
            [](World& w) {
              as_containerd(w);
              w.policy.allowed_namespaces = {"telco"};
            },
            kRefuse, "2-3",
            "no pod namespace annotation (io.kubernetes.cri.sandbox-namespace, written by containerd) and "
            "allowed_namespaces is set to [telco]"},
        Row{"NoNamespaceAnnotationNoListIsFine", kAnn, "disable", kNone,
            [](World& w) { w.spec.annotations.erase("io.kubernetes.pod.namespace"); }, kIsolate, "2-3",
            "pod annotation"},
        Row{"RefuseKeepsDeprecationWarning", kAnn, "true", kNone, allow({"rt"}), kRefuse, "2-3",
            "not in allowed_namespaces", {kDeprecated}},
        Row{"InsideIsolatable", kAnn, "disable", kNone,
            [](World& w) { w.policy.isolatable_cpus = CpuSet::range(2, 5); }, kIsolate, "2-3", "pod annotation"},
        Row{"PartlyOutsideIsolatable", kAnn, "disable", kNone,
            [](World& w) { w.policy.isolatable_cpus = CpuSet::range(3, 5); }, kRefuse, "2-3",
            "CPUs 2 are outside isolatable_cpus 3-5"},
        Row{"WhollyOutsideIsolatable", kAnn, "disable", kNone,
            [](World& w) { w.policy.isolatable_cpus = CpuSet::of({4, 6, 7}); }, kRefuse, "2-3",
            "CPUs 2-3 are outside isolatable_cpus 4,6-7"},
        Row{"NotOnline", kAnn, "disable", kNone, [](World& w) { w.spec.cpus = CpuSet::range(6, 9); }, kRefuse,
            "6-9", "CPUs 8-9 are not online (online: 0-7)"},
        Row{"OfflineHole", kAnn, "disable", kNone, [](World& w) { w.host.online = CpuSet::of({0, 1, 3, 4, 5, 6}); },
            kRefuse, "2-3", "CPUs 2 are not online (online: 0-1,3-6)"},
        Row{"IsolatableCheckedBeforeOnline", kAnn, "disable", kNone,
            [](World& w) {
              w.spec.cpus = CpuSet::range(6, 9);
              w.policy.isolatable_cpus = CpuSet::range(2, 7);
            },
            kRefuse, "6-9", "CPUs 8-9 are outside isolatable_cpus 2-7"},
        Row{"OverlapsIsolated", kAnn, "disable", kNone, [](World& w) { w.host.isolated = CpuSet::range(3, 4); },
            kRefuse, "2-3", "CPUs 3 are already isolated (by another container or at boot; isolated now: 3-4)"},
        Row{"SameCpusIsolatedAlready", kAnn, "disable", kNone,
            [](World& w) { w.host.isolated = CpuSet::range(2, 3); }, kRefuse, "2-3", "CPUs 2-3 are already isolated"},
        Row{"BesideIsolated", kAnn, "disable", kNone, [](World& w) { w.host.isolated = CpuSet::range(4, 5); },
            kIsolate, "2-3", "pod annotation"},
        Row{"HousekeepingExactlyMin", kAnn, "disable", kNone, [](World& w) { w.host.online = CpuSet::range(0, 3); },
            kIsolate, "2-3", "pod annotation"},
        Row{"HousekeepingBelowMin", kAnn, "disable", kNone,
            [](World& w) {
              w.host.online = CpuSet::range(0, 3);
              w.spec.cpus = CpuSet::range(1, 3);
              w.spec.shares = 3072;
            },
            kRefuse, "1-3",
            "isolating CPUs 1-3 would leave 1 housekeeping CPUs (0), fewer than min_housekeeping_cpus = 2"},
        Row{"HousekeepingCountsOthersIsolated", kAnn, "disable", kNone,
            [](World& w) {
              w.host.isolated = CpuSet::range(4, 7);
              w.policy.min_housekeeping_cpus = 3;
            },
            kRefuse, "2-3", "would leave 2 housekeeping CPUs (0-1), fewer than min_housekeeping_cpus = 3"},
        Row{"HousekeepingZeroLeft", kAnn, "disable", kNone,
            [](World& w) {
              w.host.online = CpuSet::range(2, 3);
              w.policy.min_housekeeping_cpus = 1;
            },
            kRefuse, "2-3", "would leave 0 housekeeping CPUs (none), fewer than min_housekeeping_cpus = 1"},
        Row{"HousekeepingMinOneAllowsThree", kAnn, "disable", kNone,
            [](World& w) {
              w.host.online = CpuSet::range(0, 3);
              w.spec.cpus = CpuSet::range(1, 3);
              w.policy.min_housekeeping_cpus = 1;
            },
            kIsolate, "1-3", "pod annotation"},
        Row{"HousekeepingBoundaryWithIsolated", kAnn, "disable", kNone,
            [](World& w) {
              w.host.isolated = CpuSet::range(6, 7);
              w.policy.min_housekeeping_cpus = 4;
            },
            kIsolate, "2-3", "pod annotation"},
        Row{"NamespaceCheckedFirst", kAnn, "disable", kNone,
            [](World& w) {
              w.policy.allowed_namespaces = {"rt"};
              w.policy.isolatable_cpus = CpuSet::of({7});
              w.host.isolated = CpuSet::range(2, 3);
            },
            kRefuse, "2-3", "allowed_namespaces"},
        Row{"OnlineCheckedBeforeIsolated", kAnn, "disable", kNone,
            [](World& w) {
              w.spec.cpus = CpuSet::range(7, 8);
              w.host.isolated = CpuSet::of({7});
            },
            kRefuse, "7-8", "CPUs 8 are not online"},
        Row{"AllGuardrailsPass", kAlways, kNone, kNone,
            [](World& w) {
              w.policy.allowed_namespaces = {"telco"};
              w.policy.isolatable_cpus = CpuSet::range(2, 7);
              w.policy.min_housekeeping_cpus = 2;
              w.host.isolated = CpuSet::of({7});
            },
            kIsolate, "2-3", "mode=always"}),
    [](const auto& row) { return row.param.name; });

TEST(Decide, RowCountIsExhaustiveEnough) {
  // A guard against a table being cut by accident.
  const auto& registry = ::testing::UnitTest::GetInstance();
  int rows = 0;
  for (int i = 0; i < registry->total_test_suite_count(); ++i) {
    const auto* suite = registry->GetTestSuite(i);
    if (std::string(suite->name()).ends_with("/Decide")) {
      rows += suite->total_test_count();
    }
  }
  EXPECT_GE(rows, 90);
}

TEST(Decide, SkipNeverCarriesCpusButRefuseAndIsolateDo) {
  World w = base_world();
  w.spec.annotations[kPod] = "enable";
  EXPECT_TRUE(decide(w.spec, w.policy, w.host).cpus.empty());
  w.spec.annotations[kPod] = "disable";
  EXPECT_EQ(decide(w.spec, w.policy, w.host).cpus, CpuSet::range(2, 3));
  w.policy.allowed_namespaces = {"x"};
  EXPECT_EQ(decide(w.spec, w.policy, w.host).cpus, CpuSet::range(2, 3));
}

TEST(Decide, WithoutTheNodeOnlyASkipStands) {
  struct Case {
    const char* name;
    Mutation mutate;
    bool stands;  // a decision without the node
    std::string reason;
  };
  const Case cases[] = {
      {"not opted in", [](World&) {}, true, "annotation cpu-load-balancing.crio.io is absent"},
      {"opted out", [](World& w) { w.spec.annotations[kPod] = "enable"; }, true, "only \"disable\" opts in"},
      {"mode never",
       [](World& w) {
         w.spec.annotations[kPod] = "disable";
         w.policy.mode = Mode::kNever;
       },
       true, "mode=never"},
      {"opted in but not eligible",
       [](World& w) {
         w.spec.annotations[kPod] = "disable";
         w.spec.shares = 1500;
       },
       true, "not a positive multiple of 1024"},
      {"opted in and eligible: the node decides", [](World& w) { w.spec.annotations[kPod] = "disable"; },
       false, ""},
      {"a recorded opt-in is not known without the node", [](World& w) { w.spec.annotations.clear(); }, true,
       "annotation cpu-load-balancing.crio.io is absent"},
  };
  for (const auto& c : cases) {
    World w = base_world();
    c.mutate(w);
    const auto d = decide_without_node(w.spec, w.policy);
    ASSERT_EQ(d.has_value(), c.stands) << c.name;
    if (d) {
      EXPECT_EQ(d->verdict, Verdict::kSkip) << c.name;
      EXPECT_NE(d->reason.find(c.reason), std::string::npos) << c.name << ": " << d->reason;
    }
  }
}

TEST(PolicyConfig, CopiesThePolicyFields) {
  Config c;
  c.mode = Mode::kAlways;
  c.allowed_namespaces = {"a", "b"};
  c.isolatable_cpus = CpuSet::range(2, 5);
  c.min_housekeeping_cpus = 3;
  const auto p = policy_config(c);
  EXPECT_EQ(p.mode, Mode::kAlways);
  EXPECT_EQ(p.allowed_namespaces, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.isolatable_cpus, CpuSet::range(2, 5));
  EXPECT_EQ(p.min_housekeeping_cpus, 3U);
}

TEST(PolicyConfig, DefaultsMatchConfigDefaults) {
  const auto p = policy_config(Config{});
  const PolicyConfig d;
  EXPECT_EQ(p.mode, d.mode);
  EXPECT_EQ(p.allowed_namespaces, d.allowed_namespaces);
  EXPECT_EQ(p.isolatable_cpus, d.isolatable_cpus);
  EXPECT_EQ(p.min_housekeeping_cpus, d.min_housekeeping_cpus);
}

}  // namespace
}  // namespace isolcpus
