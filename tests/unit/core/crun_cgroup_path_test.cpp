#include "isolcpus/crun_cgroup_path.hpp"

#include <gtest/gtest.h>

namespace isolcpus {
namespace {

using Annotations = std::map<std::string, std::string>;

struct Row {
  std::string cgroups_path;
  Annotations annotations;
  std::string want;  // "" with `error` set: refused
  std::string error = {};
};

class CrunSystemdCgroup : public ::testing::TestWithParam<Row> {};

TEST_P(CrunSystemdCgroup, MatchesCrun181) {
  const Row& row = GetParam();
  auto path = crun_systemd_cgroup(row.cgroups_path, "c1", row.annotations);
  if (!row.error.empty()) {
    ASSERT_FALSE(path) << path->workload.str();
    EXPECT_NE(path.error().message.find(row.error), std::string::npos) << path.error().message;
    return;
  }
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(path->workload.str(), row.want);
  EXPECT_TRUE(path->workload.str().find("/" + path->scope) != std::string::npos) << path->scope;
}

const Annotations kNone;

INSTANTIATE_TEST_SUITE_P(
    Table, CrunSystemdCgroup,
    ::testing::Values(
        // crun's own default: not runc-<id>.scope, and a "container" subgroup.
        Row{"", kNone, "system.slice/crun-c1.scope/container"},
        Row{"system.slice:crio:c1", kNone, "system.slice/crio-c1.scope/container"},
        Row{"kubepods-burstable-pod1.slice:cri-containerd:c1", kNone,
            "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-c1.scope/"
            "container"},
        // Unlike runc, a name ending in .slice still gets a scope.
        Row{"system.slice:p:n.slice", kNone, "system.slice/p-n.slice.scope/container"},
        Row{"machine.slice:libpod", kNone, "machine.slice/libpod.scope/container"},
        // Only the first colon after the slice's becomes '-'.
        Row{"system.slice:p:n:x", kNone, "system.slice/p-n:x.scope/container"},
        Row{"foo.slice", kNone, "foo.slice/foo.slice.scope/container"},
        // The subgroup annotation: a name, nested names, or none at all.
        Row{"", {{"run.oci.systemd.subgroup", "payload"}}, "system.slice/crun-c1.scope/payload"},
        Row{"", {{"run.oci.systemd.subgroup", "a/b"}}, "system.slice/crun-c1.scope/a/b"},
        Row{"", {{"run.oci.systemd.subgroup", ""}}, "system.slice/crun-c1.scope"},
        // Refused where systemd refuses the unit, or the path would leave it.
        Row{"foo", kNone, "", "invalid systemd slice name \"foo\""},
        Row{":p:n", kNone, "", "invalid systemd slice name \"\""},
        Row{"system.slice:p/q:n", kNone, "", "cannot be a systemd unit name"},
        // Found by the fuzzer: a leading '/' that CgroupPath alone would drop.
        Row{"system.slice:/p:n", kNone, "", "cannot be a systemd unit name"},
        Row{"", {{"run.oci.systemd.subgroup", "../../escape"}}, "", "annotation run.oci.systemd.subgroup"},
        Row{"", {{"run.oci.systemd.subgroup", "a/./b"}}, "", "not allowed"}));

// v2 isolates the scope (systemd resets the subgroup's cpuset files when it
// starts the unit), v1 the workload's own cpuset; cgroupfs containers have
// no scope.
TEST(CrunCgroupToIsolate, ScopeOnV2WorkloadOnV1) {
  const CgroupPath workload =
      *CgroupPath::parse("kubepods.slice/kubepods-pod1.slice/crio-c1.scope/container");
  EXPECT_EQ(crun_cgroup_to_isolate(workload, "crio-c1.scope", true).str(),
            "kubepods.slice/kubepods-pod1.slice/crio-c1.scope");
  EXPECT_EQ(crun_cgroup_to_isolate(workload, "crio-c1.scope", false), workload);
  EXPECT_EQ(crun_cgroup_to_isolate(workload, "", true), workload);
  const CgroupPath nested = *CgroupPath::parse("system.slice/crun-c1.scope/a/b");
  EXPECT_EQ(crun_cgroup_to_isolate(nested, "crun-c1.scope", true).str(), "system.slice/crun-c1.scope");
  // A scope crun recorded that the path does not hold: the path as it is.
  EXPECT_EQ(crun_cgroup_to_isolate(workload, "other.scope", true), workload);
}

}  // namespace
}  // namespace isolcpus
