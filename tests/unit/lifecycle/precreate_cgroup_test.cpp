#include "lifecycle/precreate_cgroup.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fakes/fake_cgroup_v2.hpp"

namespace isolcpus {
namespace {

CgroupPath P(const std::string& text) { return *CgroupPath::parse(text); }

TEST(PrecreateCgroup, MakesTheCgroupAndParentsWithTheContainersCpus) {
  FakeCgroupV2 fake;
  ASSERT_TRUE(
      precreate_cgroup(fake, CgroupMode::kV2, P("kubepods/pod1/ctr"), CpuSet::of({2, 3}), std::nullopt));
  EXPECT_EQ(fake.cpus_in("kubepods/pod1/ctr"), CpuSet::of({2, 3}));
}

TEST(PrecreateCgroup, JoinsAnExistingEmptyCgroup) {
  FakeCgroupV2 fake;
  fake.add_cgroup("kubepods/pod1/ctr");
  ASSERT_TRUE(precreate_cgroup(fake, CgroupMode::kV2, P("kubepods/pod1/ctr"), CpuSet::of({2}), std::nullopt));
  EXPECT_EQ(fake.cpus_in("kubepods/pod1/ctr"), CpuSet::of({2}));
}

// Review: under crun an empty cgroupsPath is /<id>, so an id can name a
// cgroup others run in.
TEST(PrecreateCgroup, RefusesACgroupWithTasks) {
  FakeCgroupV2 fake;
  fake.add_cgroup("system.slice", CpuSet::of({0, 1, 2, 3}));
  fake.set_file("system.slice", "cgroup.procs", "1\n77\n");
  const auto ok = precreate_cgroup(fake, CgroupMode::kV2, P("system.slice"), CpuSet::of({2}), std::nullopt);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("not this container's"), std::string::npos) << ok.error().message;
  EXPECT_EQ(fake.cpus_in("system.slice"), CpuSet::of({0, 1, 2, 3}));
}

TEST(PrecreateCgroup, RefusesACgroupWithChildren) {
  FakeCgroupV2 fake;
  fake.add_cgroup("init.scope/child");
  const auto ok = precreate_cgroup(fake, CgroupMode::kV2, P("init.scope"), CpuSet::of({2}), std::nullopt);
  ASSERT_FALSE(ok);
  EXPECT_TRUE(fake.cpus_in("init.scope").empty());
}

}  // namespace
}  // namespace isolcpus
