// Isolator::culprits, the "who balances these CPUs" query behind status,
// over the fake v1 and v2 trees.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fakes/fake_cgroup_v1.hpp"
#include "fakes/fake_cgroup_v2.hpp"
#include "fakes/temp_dir.hpp"
#include "isolcpus/isolator.hpp"

namespace isolcpus {
namespace {

CgroupPath P(const std::string& text) { return *CgroupPath::parse(text); }

struct V1Cpuset {
  const char* path;  // "" = the root
  const char* cpus;
  bool flag;
};

struct V1Case {
  const char* name;
  std::vector<V1Cpuset> tree;  // parents first; the root first
  // cpu -> the cpusets whose flag balances it
  std::map<unsigned, std::vector<std::string>> want;
};

TEST(IsolatorCulprits, V1TheTopMostBalancedCpusetsCoverEachCpu) {
  const V1Case cases[] = {
      {"the root with flag 1 covers everything",
       {{"", "0-3", true}, {"a", "2-3", false}},
       {{0, {""}}, {1, {""}}, {2, {""}}, {3, {""}}}},
      {"a balanced child hides its subtree",
       {{"", "0-3", false},
        {"sys", "0-1", true},
        {"sys/x", "0-1", true},
        {"kube", "0-3", false},
        {"kube/pod", "3", true},
        {"kube/iso", "2", false}},
       {{0, {"sys"}}, {1, {"sys"}}, {3, {"kube/pod"}}}},
      {"an empty balanced cpuset is no domain", {{"", "0-1", false}, {"a", "", true}}, {}},
      {"siblings overlapping a CPU are both named",
       {{"", "0-3", false}, {"a", "0-1", true}, {"b", "1-2", true}},
       {{0, {"a"}}, {1, {"a", "b"}}, {2, {"b"}}}},
  };
  for (const auto& c : cases) {
    TempDir dir;
    FakeCgroupV1 fake{dir.path()};
    fake.root(c.tree.front().cpus, "0", c.tree.front().flag);
    for (std::size_t i = 1; i < c.tree.size(); ++i) {
      fake.add(c.tree[i].path, c.tree[i].cpus, c.tree[i].flag);
    }
    std::map<unsigned, std::vector<std::string>> want;
    for (const auto& [cpu, paths] : c.want) {
      for (const auto& path : paths) {
        want[cpu].push_back(
            fake.describe(path.empty() ? CgroupPath() : P(path), "cpuset.sched_load_balance"));
      }
    }
    const auto iso = make_v1_isolator(fake);
    EXPECT_EQ(iso->culprits(IsolationContext{}), want) << c.name;
  }
}

TEST(IsolatorCulprits, V2NamesThePartitionsTheKernelUndid) {
  FakeCgroupV2 fake;
  fake.add_cgroup("pod/a", CpuSet::of({2}));
  fake.add_cgroup("pod/b", CpuSet::of({3}));
  const auto iso = make_v2_isolator(fake, KernelVersion{6, 12, "6.12.9"});
  IsolationContext ctx;
  ctx.online = CpuSet::range(0, 7);
  std::vector<Isolation> isolated;
  for (const auto& [cg, cpu] : {std::pair{"pod/a", 2U}, std::pair{"pod/b", 3U}}) {
    auto plan = iso->plan(P(cg), CpuSet::of({cpu}), ctx);
    ASSERT_TRUE(plan) << plan.error().message;
    ASSERT_TRUE(iso->apply(*plan, ctx));
    ctx.others.push_back(*plan);
  }
  EXPECT_TRUE(iso->culprits(ctx).empty());

  fake.invalidate("pod/b");
  const auto culprits = iso->culprits(ctx);
  ASSERT_EQ(culprits.size(), 1U);
  ASSERT_EQ(culprits.at(3).size(), 1U);
  EXPECT_NE(culprits.at(3)[0].find(fake.describe(P("pod/b"), "cpuset.cpus.partition")), std::string::npos)
      << culprits.at(3)[0];
  EXPECT_NE(culprits.at(3)[0].find("invalid"), std::string::npos) << culprits.at(3)[0];
}

}  // namespace
}  // namespace isolcpus
