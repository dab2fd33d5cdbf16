// probe_cpuset_facts: what `check` learns of the hierarchy, over the fakes.
#include "isolcpus/cpuset_facts.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fakes/fake_cgroup_v1.hpp"
#include "fakes/fake_cgroup_v2.hpp"
#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

CgroupPath P(const std::string& text) { return *CgroupPath::parse(text); }

TEST(CpusetFacts, NamesComeFromTheKernelLayer) {
  const CpusetFacts f;
  EXPECT_EQ(f.v2_names.exclusive, "cpuset.cpus.exclusive");
  EXPECT_EQ(f.v2_names.partition, "cpuset.cpus.partition");
  EXPECT_EQ(f.v2_names.root_isolated, "cpuset.cpus.isolated");
  EXPECT_EQ(f.v2_names.subtree_control, "cgroup.subtree_control");
}

TEST(CpusetFacts, V1ReadsTheRootFlag) {
  struct Case {
    bool flag;
    const char* kubepods;  // nullptr: none
  };
  for (const Case c : {Case{true, nullptr}, Case{false, "kubepods"}}) {
    TempDir dir;
    FakeCgroupV1 fake{dir.path()};
    fake.root("0-3", "0", c.flag);
    if (c.kubepods != nullptr) {
      fake.add(c.kubepods, "0-3");
    }
    const auto f = probe_cpuset_facts(fake, CgroupMode::kV1);
    EXPECT_EQ(f.v1_root_flag, c.flag);
    EXPECT_EQ(f.v1_root_flag_file, fake.describe(CgroupPath(), "cpuset.sched_load_balance"));
    EXPECT_EQ(f.kubepods.has_value(), c.kubepods != nullptr);
    EXPECT_TRUE(f.delegation.empty());
  }
}

TEST(CpusetFacts, V1UnreadableRootFlagIsUnset) {
  TempDir dir;
  FakeCgroupV1 fake{dir.path()};
  const auto f = probe_cpuset_facts(fake, CgroupMode::kV1);
  EXPECT_FALSE(f.v1_root_flag.has_value());
}

TEST(CpusetFacts, V2FindsPartitionsAndDelegation) {
  struct Case {
    const char* name;
    FakeCgroupV2::Options options;
    bool exclusive;
    bool root_isolated;
  };
  const Case cases[] = {
      {"6.8+", {}, true, true},
      {"6.7", FakeCgroupV2::Options{.has_root_isolated = false}, true, false},
      {"before 6.7", FakeCgroupV2::Options{.has_exclusive = false}, false, true},
  };
  for (const auto& c : cases) {
    FakeCgroupV2 fake(c.options);
    fake.add_cgroup("kubepods.slice/pod/ctr");
    fake.set_file("kubepods.slice", "cgroup.subtree_control", "cpu memory\n");
    const auto f = probe_cpuset_facts(fake, CgroupMode::kV2);
    EXPECT_EQ(f.kubepods, fake.describe(P("kubepods.slice"), "")) << c.name;
    EXPECT_TRUE(f.v2_partition_file) << c.name;
    EXPECT_EQ(f.v2_exclusive_file, c.exclusive) << c.name;
    EXPECT_EQ(f.v2_root_isolated_file, c.root_isolated) << c.name;
    ASSERT_EQ(f.delegation.size(), 2U) << c.name;
    EXPECT_EQ(f.delegation[0].path, fake.describe(CgroupPath(), "cgroup.subtree_control")) << c.name;
    EXPECT_EQ(f.delegation[0].subtree_control, "cpuset") << c.name;
    EXPECT_EQ(f.delegation[1].subtree_control, "cpu memory") << c.name;
    EXPECT_FALSE(f.v1_root_flag.has_value()) << c.name;
  }
}

TEST(CpusetFacts, V2WithoutKubepodsChecksOnlyTheRoot) {
  FakeCgroupV2 fake;
  const auto f = probe_cpuset_facts(fake, CgroupMode::kV2);
  EXPECT_FALSE(f.kubepods.has_value());
  EXPECT_FALSE(f.v2_partition_file);
  ASSERT_EQ(f.delegation.size(), 1U);
}

}  // namespace
}  // namespace isolcpus
