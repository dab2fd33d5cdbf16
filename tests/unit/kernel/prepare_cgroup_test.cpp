#include "isolcpus/prepare_cgroup.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fakes/fake_cgroup_v1.hpp"
#include "fakes/fake_cgroup_v2.hpp"
#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

CgroupPath P(const std::string& text) { return *CgroupPath::parse(text); }

TEST(PrepareCgroup, MakesTheCgroupAndParentsWithTheContainersCpus) {
  FakeCgroupV2 fake;
  ASSERT_TRUE(
      prepare_cgroup(fake, CgroupMode::kV2, P("kubepods/pod1/ctr"), CpuSet::of({2, 3}), std::nullopt));
  EXPECT_EQ(fake.cpus_in("kubepods/pod1/ctr"), CpuSet::of({2, 3}));
}

TEST(PrepareCgroup, JoinsAnExistingEmptyCgroup) {
  FakeCgroupV2 fake;
  fake.add_cgroup("kubepods/pod1/ctr");
  ASSERT_TRUE(prepare_cgroup(fake, CgroupMode::kV2, P("kubepods/pod1/ctr"), CpuSet::of({2}), std::nullopt));
  EXPECT_EQ(fake.cpus_in("kubepods/pod1/ctr"), CpuSet::of({2}));
}

// v2: a cgroup made by hand has no controllers to hand down until its
// parent's subtree_control enables cpuset, the new level's own included.
TEST(PrepareCgroup, V2EnablesCpusetInEveryNewLevelsParent) {
  FakeCgroupV2 fake;
  ASSERT_TRUE(prepare_cgroup(fake, CgroupMode::kV2, P("a/b/ctr"), CpuSet::of({1}), std::nullopt));
  for (const char* level : {"a", "a/b"}) {
    EXPECT_EQ(fake.file(level, "cgroup.subtree_control"), "+cpuset") << level;
  }
}

TEST(PrepareCgroup, V2EnablesCpusetAboveAnExistingContainerCgroup) {
  FakeCgroupV2 fake;
  fake.add_cgroup("pod/ctr");
  fake.set_file("pod", "cgroup.subtree_control", "\n");
  ASSERT_TRUE(prepare_cgroup(fake, CgroupMode::kV2, P("pod/ctr"), CpuSet::of({1}), std::nullopt));
  EXPECT_EQ(fake.file("pod", "cgroup.subtree_control"), "+cpuset");
}

// v1: a new cpuset has empty cpus and mems, which no task can join; each
// new level takes its parent's, and the container's own set comes last.
TEST(PrepareCgroup, V1CopiesTheParentsCpusAndMemsIntoEveryNewLevel) {
  struct Case {
    const char* name;
    std::optional<CpuSet> mems;
    const char* want_mems;
  };
  const Case cases[] = {
      {"no mems in the spec", std::nullopt, "0-1"},
      {"empty mems in the spec", CpuSet{}, "0-1"},
      {"mems in the spec", CpuSet::of({1}), "1"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    FakeCgroupV1 fake{dir.path()};
    fake.root("0-3", "0-1", true).add("kubepods", "0-2");
    ASSERT_TRUE(prepare_cgroup(fake, CgroupMode::kV1, P("kubepods/pod1/ctr"), CpuSet::of({2}), c.mems))
        << c.name;
    EXPECT_EQ(fake.file("kubepods/pod1", "cpuset.cpus"), "0-2") << c.name;
    EXPECT_EQ(fake.file("kubepods/pod1", "cpuset.mems"), "0-1") << c.name;
    EXPECT_EQ(fake.file("kubepods/pod1/ctr", "cpuset.cpus"), "2") << c.name;
    EXPECT_EQ(fake.file("kubepods/pod1/ctr", "cpuset.mems"), c.want_mems) << c.name;
  }
}

TEST(PrepareCgroup, V1FailsWhenTheParentCannotBeRead) {
  TempDir dir;
  FakeCgroupV1 fake{dir.path()};
  fake.root("0-3", "0", true);
  fake.fail_operation(2);  // the mkdir succeeds, copying cpus down fails
  const auto ok = prepare_cgroup(fake, CgroupMode::kV1, P("ctr"), CpuSet::of({2}), std::nullopt);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("injected"), std::string::npos) << ok.error().message;
}

// Review: under crun an empty cgroupsPath is /<id>, so an id can name a
// cgroup others run in.
TEST(PrepareCgroup, RefusesACgroupWithTasks) {
  FakeCgroupV2 fake;
  fake.add_cgroup("system.slice", CpuSet::of({0, 1, 2, 3}));
  fake.set_file("system.slice", "cgroup.procs", "1\n77\n");
  const auto ok = prepare_cgroup(fake, CgroupMode::kV2, P("system.slice"), CpuSet::of({2}), std::nullopt);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("not this container's"), std::string::npos) << ok.error().message;
  EXPECT_EQ(fake.cpus_in("system.slice"), CpuSet::of({0, 1, 2, 3}));
}

TEST(PrepareCgroup, RefusesACgroupWithChildren) {
  FakeCgroupV2 fake;
  fake.add_cgroup("init.scope/child");
  const auto ok = prepare_cgroup(fake, CgroupMode::kV2, P("init.scope"), CpuSet::of({2}), std::nullopt);
  ASSERT_FALSE(ok);
  EXPECT_TRUE(fake.cpus_in("init.scope").empty());
}

TEST(PrepareCgroup, V1RefusesACpusetWithChildren) {
  TempDir dir;
  FakeCgroupV1 fake{dir.path()};
  fake.root("0-3", "0", true).add("system", "0-3").add("system/child", "0-3");
  const auto ok = prepare_cgroup(fake, CgroupMode::kV1, P("system"), CpuSet::of({2}), std::nullopt);
  ASSERT_FALSE(ok);
  EXPECT_EQ(fake.file("system", "cpuset.cpus"), "0-3");
}

}  // namespace
}  // namespace isolcpus
