// Identity spoofing: a pod's own annotations must never pass for the keys its
// runtime sets.  Under containerd a pod annotation reaches config.json when
// the handler's pod_annotations globs let it through, so a pod in "dev"
// could annotate io.kubernetes.pod.namespace=telco; under CRI-O it could
// carry containerd's io.kubernetes.cri.* keys.  Each row is one container
// as the runtime wrote it, plus what a pod added.
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <string>

#include "isolcpus/policy.hpp"

namespace isolcpus {
namespace {

using Annotations = std::map<std::string, std::string>;

// What containerd writes on every container (its own keys, set after the
// pod annotations it passes through, so they always hold its values).
Annotations containerd(const std::string& ns, const std::string& pod, const std::string& name) {
  return {{"io.kubernetes.cri.container-type", "container"},
          {"io.kubernetes.cri.sandbox-id", "5b1e"},
          {"io.kubernetes.cri.sandbox-namespace", ns},
          {"io.kubernetes.cri.sandbox-name", pod},
          {"io.kubernetes.cri.container-name", name}};
}

// What CRI-O writes on every container.
Annotations crio(const std::string& ns, const std::string& pod, const std::string& name) {
  return {{"io.kubernetes.cri-o.ContainerType", "container"},
          {"io.kubernetes.cri-o.SandboxID", "7c2d"},
          {"io.kubernetes.pod.namespace", ns},
          {"io.kubernetes.pod.name", pod},
          {"io.kubernetes.container.name", name}};
}

Annotations with(Annotations base, const Annotations& added) {
  for (const auto& [k, v] : added) {
    base[k] = v;
  }
  return base;
}

ContainerSpec pinned(Annotations annotations) {
  ContainerSpec spec;
  spec.cpus = CpuSet::range(2, 3);
  spec.shares = 2048;
  spec.cgroups_path = "/kubepods/pod1/c1";
  spec.annotations = std::move(annotations);
  return spec;
}

HostCpus eight_cpus() { return HostCpus{CpuSet::range(0, 7), {}}; }

PolicyConfig only(const std::string& ns) {
  PolicyConfig p;
  p.allowed_namespaces = {ns};
  return p;
}

// --- the identity helpers read only the caller's own key ---

struct IdRow {
  std::string name;
  Annotations annotations;
  std::string ns, pod, container;
};
void PrintTo(const IdRow& r, std::ostream* os) { *os << r.name; }

class TrustedIdentity : public ::testing::TestWithParam<IdRow> {};

TEST_P(TrustedIdentity, ReadsOnlyTheRuntimesKeys) {
  const auto& row = GetParam();
  const ContainerSpec spec = pinned(row.annotations);
  EXPECT_EQ(pod_namespace(spec), row.ns);
  EXPECT_EQ(pod_name(spec), row.pod);
  EXPECT_EQ(container_name(spec), row.container);
}

INSTANTIATE_TEST_SUITE_P(Table, TrustedIdentity,
                         ::testing::Values(IdRow{"Containerd", containerd("dev", "web-0", "app"), "dev",
                                                 "web-0", "app"},
                                           IdRow{"Crio", crio("dev", "web-0", "app"), "dev", "web-0", "app"},
                                           // containerd never writes the CRI-O/kubelet keys: a pod did.
                                           IdRow{"ContainerdIgnoresPodKeysAlone",
                                                 with({{"io.kubernetes.cri.container-type", "container"},
                                                       {"io.kubernetes.cri.sandbox-id", "5b1e"}},
                                                      {{"io.kubernetes.pod.namespace", "telco"},
                                                       {"io.kubernetes.pod.name", "rt-0"},
                                                       {"io.kubernetes.container.name", "dpdk"}}),
                                                 "", "", ""},
                                           IdRow{"ContainerdKeepsItsOwnOverAPodsKeys",
                                                 with(containerd("dev", "web-0", "app"),
                                                      {{"io.kubernetes.pod.namespace", "telco"},
                                                       {"io.kubernetes.pod.name", "rt-0"},
                                                       {"io.kubernetes.container.name", "dpdk"}}),
                                                 "dev", "web-0", "app"},
                                           // CRI-O never writes containerd's keys.
                                           IdRow{"CrioIgnoresContainerdKeysAlone",
                                                 with({{"io.kubernetes.cri-o.ContainerType", "container"}},
                                                      {{"io.kubernetes.cri.sandbox-namespace", "telco"},
                                                       {"io.kubernetes.cri.sandbox-name", "rt-0"},
                                                       {"io.kubernetes.cri.container-name", "dpdk"}}),
                                                 "", "", ""},
                                           IdRow{"CrioKeepsItsOwnOverContainerdKeys",
                                                 with(crio("dev", "web-0", "app"),
                                                      {{"io.kubernetes.cri.sandbox-namespace", "telco"},
                                                       {"io.kubernetes.cri.sandbox-name", "rt-0"},
                                                       {"io.kubernetes.cri.container-name", "dpdk"}}),
                                                 "dev", "web-0", "app"}),
                         [](const auto& row) { return row.param.name; });

// --- decide() refuses a container whose identity annotations disagree ---

TEST(Spoofing, ContainerdPodClaimingAnotherNamespaceIsRefused) {
  // The case: a pod in dev, wide pod_annotations globs, telco allowed.
  const auto spec =
      pinned(with(containerd("dev", "web-0", "app"),
                  {{"cpu-load-balancing.crio.io", "disable"}, {"io.kubernetes.pod.namespace", "telco"}}));
  const Decision d = decide(spec, only("telco"), eight_cpus());
  EXPECT_EQ(d.verdict, Verdict::kRefuse) << d.reason;
  EXPECT_NE(d.reason.find("disagree"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("io.kubernetes.cri.sandbox-namespace=\"dev\""), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("io.kubernetes.pod.namespace=\"telco\""), std::string::npos) << d.reason;
}

TEST(Spoofing, ContainerdPodKeyAloneDoesNotPassTheNamespaceList) {
  // containerd older than 1.5 sets no namespace key: the pod's own one is no proof.
  const auto spec = pinned({{"io.kubernetes.cri.container-type", "container"},
                            {"io.kubernetes.cri.sandbox-id", "5b1e"},
                            {"cpu-load-balancing.crio.io", "disable"},
                            {"io.kubernetes.pod.namespace", "telco"}});
  const Decision d = decide(spec, only("telco"), eight_cpus());
  EXPECT_EQ(d.verdict, Verdict::kRefuse) << d.reason;
  EXPECT_NE(d.reason.find("io.kubernetes.cri.sandbox-namespace"), std::string::npos) << d.reason;
}

TEST(Spoofing, CrioPodClaimingAnotherNamespaceIsRefused) {
  const auto spec =
      pinned(with(crio("dev", "web-0", "app"), {{"cpu-load-balancing.crio.io", "disable"},
                                                {"io.kubernetes.cri.sandbox-namespace", "telco"}}));
  const Decision d = decide(spec, only("telco"), eight_cpus());
  EXPECT_EQ(d.verdict, Verdict::kRefuse) << d.reason;
  EXPECT_NE(d.reason.find("disagree"), std::string::npos) << d.reason;
}

TEST(Spoofing, ForgedRuntimeMarkersStillDisagree) {
  // Under containerd a pod adds CRI-O's markers too, to look like CRI-O:
  // containerd's own namespace key is still there, and disagrees.
  const auto spec =
      pinned(with(containerd("dev", "web-0", "app"), {{"cpu-load-balancing.crio.io", "disable"},
                                                      {"io.kubernetes.cri-o.ContainerType", "container"},
                                                      {"io.kubernetes.cri-o.SandboxID", "7c2d"},
                                                      {"io.kubernetes.pod.namespace", "telco"}}));
  const Decision d = decide(spec, only("telco"), eight_cpus());
  EXPECT_EQ(d.verdict, Verdict::kRefuse) << d.reason;
  EXPECT_NE(d.reason.find("disagree"), std::string::npos) << d.reason;
}

TEST(Spoofing, DisagreementIsRefusedWithoutANamespaceList) {
  // A contradicting identity is refused even where every namespace may
  // isolate: status would otherwise show the pod under a name it is not.
  const auto spec = pinned(with(containerd("dev", "web-0", "app"), {{"cpu-load-balancing.crio.io", "disable"},
                                                                    {"io.kubernetes.pod.name", "rt-0"}}));
  const Decision d = decide(spec, PolicyConfig{}, eight_cpus());
  EXPECT_EQ(d.verdict, Verdict::kRefuse) << d.reason;
  EXPECT_NE(d.reason.find("io.kubernetes.cri.sandbox-name=\"web-0\""), std::string::npos) << d.reason;
}

TEST(Spoofing, ForgedContainerNameDoesNotOptInThroughAnotherContainersOverride) {
  // The per-container override is keyed by the container's name, which
  // under containerd is containerd's key, not the pod's.
  const auto spec =
      pinned(with(containerd("dev", "web-0", "app"), {{"cpu-load-balancing.crio.io/dpdk", "disable"}}));
  auto forged = spec;
  forged.annotations["io.kubernetes.container.name"] = "dpdk";
  EXPECT_EQ(decide(spec, PolicyConfig{}, eight_cpus()).verdict, Verdict::kSkip);
  EXPECT_NE(decide(forged, PolicyConfig{}, eight_cpus()).verdict, Verdict::kIsolate);
}

TEST(Spoofing, AgreeingKeysAreFine) {
  // Both keys with the same values (a pod copying its real namespace) pass.
  const auto spec =
      pinned(with(containerd("telco", "rt-0", "app"),
                  {{"cpu-load-balancing.crio.io", "disable"}, {"io.kubernetes.pod.namespace", "telco"}}));
  const Decision d = decide(spec, only("telco"), eight_cpus());
  EXPECT_EQ(d.verdict, Verdict::kIsolate) << d.reason;
}

// --- pod_identity(): the caller, and every disagreement named ---

TEST(PodIdentity, TellsTheCallerByItsMarkers) {
  EXPECT_EQ(detect_caller(pinned(containerd("a", "b", "c"))), Caller::kContainerd);
  EXPECT_EQ(detect_caller(pinned(crio("a", "b", "c"))), Caller::kCrio);
  EXPECT_EQ(detect_caller(pinned({{"io.kubernetes.cri.sandbox-id", "1"}})), Caller::kContainerd);
  EXPECT_EQ(detect_caller(pinned({{"io.kubernetes.cri-o.SandboxID", "1"}})), Caller::kCrio);
  EXPECT_EQ(detect_caller(pinned(with(containerd("a", "b", "c"), crio("a", "b", "c")))), Caller::kBoth);
  // The identity keys themselves are no marker: a pod can write them.
  EXPECT_EQ(detect_caller(pinned({{"io.kubernetes.pod.namespace", "a"}})), Caller::kUnknown);
  EXPECT_EQ(detect_caller(pinned({{"io.kubernetes.cri.sandbox-namespace", "a"}})), Caller::kUnknown);
}

TEST(PodIdentity, NamesEveryDisagreementWithTheTrustedKeyFirst) {
  const auto id = pod_identity(
      pinned(with(containerd("dev", "web-0", "app"), {{"io.kubernetes.pod.namespace", "telco"},
                                                      {"io.kubernetes.pod.name", "rt-0"},
                                                      {"io.kubernetes.container.name", "app"}})));
  EXPECT_EQ(id.caller, Caller::kContainerd);
  EXPECT_EQ(id.pod_namespace, "dev");
  EXPECT_EQ(id.pod_name, "web-0");
  EXPECT_EQ(id.container_name, "app");
  ASSERT_EQ(id.conflicts.size(), 2U);  // the container names agree
  EXPECT_EQ(
      id.conflicts[0],
      "annotations disagree on the pod namespace: io.kubernetes.cri.sandbox-namespace=\"dev\" (written by "
      "containerd) but io.kubernetes.pod.namespace=\"telco\"");
  EXPECT_EQ(id.conflicts[1],
            "annotations disagree on the pod name: io.kubernetes.cri.sandbox-name=\"web-0\" (written by "
            "containerd) but io.kubernetes.pod.name=\"rt-0\"");
}

TEST(PodIdentity, BothMarkersTrustNeitherKeyAlone) {
  const auto id =
      pod_identity(pinned(with(containerd("dev", "web-0", "app"), crio("telco", "web-0", "app"))));
  EXPECT_EQ(id.caller, Caller::kBoth);
  EXPECT_EQ(id.pod_namespace, "");
  EXPECT_EQ(id.pod_name, "web-0");
  ASSERT_EQ(id.conflicts.size(), 1U);
  EXPECT_NE(id.conflicts[0].find("io.kubernetes.cri.sandbox-namespace=\"dev\" but "
                                 "io.kubernetes.pod.namespace=\"telco\""),
            std::string::npos)
      << id.conflicts[0];
}

TEST(PodIdentity, EmptyValueCountsAsAbsent) {
  auto a = with(containerd("dev", "web-0", "app"), {{"io.kubernetes.pod.namespace", ""}});
  EXPECT_TRUE(pod_identity(pinned(a)).conflicts.empty());
  a["io.kubernetes.cri.sandbox-namespace"] = "";
  EXPECT_EQ(pod_identity(pinned(a)).pod_namespace, "");
}

}  // namespace
}  // namespace isolcpus
