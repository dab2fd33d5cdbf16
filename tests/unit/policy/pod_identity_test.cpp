// pod_namespace / pod_name / container_name when no runtime marker says who
// wrote config.json (podman, ctr, plain runc): either key, "" when neither
// is there or the two disagree.  With markers: pod_identity_spoofing_test.cpp.
#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>

#include "isolcpus/policy.hpp"

namespace isolcpus {
namespace {

struct IdentityRow {
  std::string name;
  std::function<std::string(const ContainerSpec&)> get;
  std::map<std::string, std::string> annotations;
  std::string expected;
};
void PrintTo(const IdentityRow& r, std::ostream* os) { *os << r.name; }

class Identity : public ::testing::TestWithParam<IdentityRow> {};

TEST_P(Identity, Reads) {
  const auto& row = GetParam();
  ContainerSpec spec;
  spec.annotations = row.annotations;
  EXPECT_EQ(row.get(spec), row.expected);
}

const auto kNs = [](const ContainerSpec& s) { return pod_namespace(s); };
const auto kPodName = [](const ContainerSpec& s) { return pod_name(s); };
const auto kContainer = [](const ContainerSpec& s) { return container_name(s); };

INSTANTIATE_TEST_SUITE_P(
    Table, Identity,
    ::testing::Values(
        IdentityRow{"NamespaceCrio", kNs, {{"io.kubernetes.pod.namespace", "rt"}}, "rt"},
        IdentityRow{"NamespaceContainerd", kNs, {{"io.kubernetes.cri.sandbox-namespace", "telco"}}, "telco"},
        IdentityRow{"NamespaceDisagreeIsNeither",
                    kNs,
                    {{"io.kubernetes.pod.namespace", "rt"}, {"io.kubernetes.cri.sandbox-namespace", "telco"}},
                    ""},
        IdentityRow{"NamespaceAgreeing",
                    kNs,
                    {{"io.kubernetes.pod.namespace", "rt"}, {"io.kubernetes.cri.sandbox-namespace", "rt"}},
                    "rt"},
        IdentityRow{"NamespaceEmptyCrioFallsBack",
                    kNs,
                    {{"io.kubernetes.pod.namespace", ""}, {"io.kubernetes.cri.sandbox-namespace", "telco"}},
                    "telco"},
        IdentityRow{"NamespaceAbsent", kNs, {{"io.kubernetes.pod.name", "p"}}, ""},
        IdentityRow{"PodNameCrio", kPodName, {{"io.kubernetes.pod.name", "rt-pod"}}, "rt-pod"},
        IdentityRow{"PodNameContainerd", kPodName, {{"io.kubernetes.cri.sandbox-name", "sb"}}, "sb"},
        IdentityRow{"PodNameDisagreeIsNeither",
                    kPodName,
                    {{"io.kubernetes.pod.name", "a"}, {"io.kubernetes.cri.sandbox-name", "b"}},
                    ""},
        IdentityRow{"PodNameAbsent", kPodName, {}, ""},
        IdentityRow{"ContainerCrio", kContainer, {{"io.kubernetes.container.name", "app"}}, "app"},
        IdentityRow{
            "ContainerContainerd", kContainer, {{"io.kubernetes.cri.container-name", "dpdk"}}, "dpdk"},
        IdentityRow{"ContainerDisagreeIsNeither",
                    kContainer,
                    {{"io.kubernetes.container.name", "app"}, {"io.kubernetes.cri.container-name", "dpdk"}},
                    ""},
        IdentityRow{"ContainerAbsent", kContainer, {{"io.kubernetes.pod.namespace", "x"}}, ""}),
    [](const auto& row) { return row.param.name; });

}  // namespace
}  // namespace isolcpus
