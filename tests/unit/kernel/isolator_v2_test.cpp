#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fakes/fake_cgroup_v2.hpp"
#include "isolcpus/isolator.hpp"

namespace isolcpus {
namespace {

const std::string kKubepods = "kubepods.slice";
const std::string kPod = "kubepods.slice/kubepods-pod1.slice";
const std::string kC1 = kPod + "/cri-containerd-aaa.scope";
const std::string kC2 = kPod + "/cri-containerd-bbb.scope";

const KernelVersion k612{6, 12, "6.12.9-amd64"};

CgroupPath P(const std::string& text) { return *CgroupPath::parse(text); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Fixture: a k8s-shaped tree on 8 online CPUs with two containers of one pod.
class IsolatorV2 : public ::testing::Test {
 protected:
  explicit IsolatorV2(FakeCgroupV2::Options options = {}, KernelVersion kernel = k612)
      : fake_(std::make_unique<FakeCgroupV2>(std::move(options))), kernel_(std::move(kernel)) {
    fake_->add_cgroup(kC1, CpuSet::of({2}));
    fake_->add_cgroup(kC2, CpuSet::of({3}));
    isolator_ = make_v2_isolator(*fake_, kernel_);
    initial_ = fake_->snapshot();
  }

  [[nodiscard]] IsolationContext context(std::vector<Isolation> others = {}) const {
    IsolationContext ctx;
    ctx.online = CpuSet::range(0, 7);
    ctx.min_housekeeping_cpus = 2;
    ctx.others = std::move(others);
    return ctx;
  }

  Isolation isolate(const std::string& cg, const CpuSet& cpus, std::vector<Isolation> others = {}) {
    IsolationContext ctx = context(std::move(others));
    auto plan = isolator_->plan(P(cg), cpus, ctx);
    if (!plan) {
      throw std::runtime_error("plan failed: " + plan.error().message);
    }
    if (auto ok = isolator_->apply(*plan, ctx); !ok) {
      throw std::runtime_error("apply failed: " + ok.error().message);
    }
    return *plan;
  }

  // Plan must fail, mentioning every fragment, without touching the tree.
  void expect_plan_error(const std::string& cg, const CpuSet& cpus, IsolationContext ctx,
                         const std::vector<std::string>& fragments) {
    const auto before = fake_->snapshot();
    auto plan = isolator_->plan(P(cg), cpus, ctx);
    ASSERT_FALSE(plan) << "plan unexpectedly succeeded";
    for (const std::string& fragment : fragments) {
      EXPECT_TRUE(contains(plan.error().message, fragment))
          << "missing \"" << fragment << "\" in: " << plan.error().message;
    }
    EXPECT_EQ(fake_->writes(), 0U);
    EXPECT_EQ(fake_->snapshot(), before);
  }

  void expect_clean() {
    EXPECT_EQ(fake_->snapshot(), initial_);
    for (const std::string& cg : {kKubepods, kPod, kC1, kC2}) {
      EXPECT_TRUE(fake_->exclusive(cg).empty()) << cg << " still claims " << fake_->exclusive(cg).to_string();
    }
  }

  std::string abs(const std::string& cg, const std::string& file) const {
    return (fake_->mount() / cg / file).string();
  }

  std::unique_ptr<FakeCgroupV2> fake_;
  KernelVersion kernel_;
  std::unique_ptr<Isolator> isolator_;
  std::map<std::string, std::string> initial_;
};

TEST_F(IsolatorV2, NameAndEnforce) {
  EXPECT_EQ(isolator_->name(), kIsolatorV2);
  IsolationContext ctx = context();
  EXPECT_TRUE(isolator_->enforce(ctx).empty());
}

TEST_F(IsolatorV2, PlanRecordsAncestorAdditionsTopDown) {
  IsolationContext ctx = context();
  auto plan = isolator_->plan(P(kC1), CpuSet::of({2}), ctx);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->isolator, kIsolatorV2);
  EXPECT_EQ(plan->cgroup, kC1);
  EXPECT_EQ(plan->cpus, CpuSet::of({2}));
  EXPECT_EQ(changes_of<V2Changes>(*plan).ancestor_additions,
            (std::vector<LevelAddition>{{kKubepods, CpuSet::of({2})}, {kPod, CpuSet::of({2})}}));
  EXPECT_EQ(fake_->writes(), 0U);
}

TEST_F(IsolatorV2, IsolatesNestedKubernetesPath) {
  isolate(kC1, CpuSet::of({2}));
  EXPECT_EQ(fake_->partition(kC1), "isolated");
  EXPECT_EQ(fake_->exclusive(kKubepods), CpuSet::of({2}));
  EXPECT_EQ(fake_->exclusive(kPod), CpuSet::of({2}));
  EXPECT_EQ(fake_->exclusive(kC1), CpuSet::of({2}));
  EXPECT_EQ(fake_->root_isolated(), CpuSet::of({2}));
  EXPECT_EQ(isolator_->kernel_isolated(context()), CpuSet::of({2}));
  EXPECT_EQ(
      fake_->write_log(),
      (std::vector<std::string>{kKubepods + ":cpuset.cpus.exclusive=2", kPod + ":cpuset.cpus.exclusive=2",
                                kC1 + ":cpuset.cpus.exclusive=2", kC1 + ":cpuset.cpus.partition=isolated"}));
}

TEST_F(IsolatorV2, ReleaseLeavesNoExclusiveEntry) {
  const Isolation done = isolate(kC1, CpuSet::of({2, 4}));
  IsolationContext ctx = context();
  EXPECT_TRUE(isolator_->release(done, ctx).problems.empty());
  EXPECT_EQ(fake_->partition(kC1), "member");
  EXPECT_TRUE(fake_->root_isolated().empty());
  expect_clean();
}

TEST_F(IsolatorV2, ReleaseIsIdempotent) {
  const Isolation done = isolate(kC1, CpuSet::of({2}));
  IsolationContext ctx = context();
  EXPECT_TRUE(isolator_->release(done, ctx).problems.empty());
  const std::size_t writes = fake_->writes();
  EXPECT_TRUE(isolator_->release(done, ctx).problems.empty());
  EXPECT_EQ(fake_->writes(), writes) << "second release wrote to the kernel";
  expect_clean();
}

TEST_F(IsolatorV2, ReleaseOfAPlanNeverApplied) {
  IsolationContext ctx = context();
  auto plan = isolator_->plan(P(kC1), CpuSet::of({2}), ctx);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(isolator_->release(*plan, ctx).problems.empty());
  EXPECT_EQ(fake_->writes(), 0U);
  expect_clean();
}

TEST_F(IsolatorV2, ReleaseAfterContainerCgroupWasRemoved) {
  const Isolation done = isolate(kC1, CpuSet::of({2}));
  ASSERT_TRUE(fake_->remove(P(kC1)));
  // The kernel resets the partition but the ancestors keep their claims.
  EXPECT_TRUE(fake_->root_isolated().empty());
  EXPECT_EQ(fake_->exclusive(kPod), CpuSet::of({2}));
  IsolationContext ctx = context();
  EXPECT_TRUE(isolator_->release(done, ctx).problems.empty());
  EXPECT_TRUE(fake_->exclusive(kKubepods).empty());
  EXPECT_TRUE(fake_->exclusive(kPod).empty());
  // A new container may now claim the CPU.
  EXPECT_NO_THROW(isolate(kC2, CpuSet::of({2})));
  EXPECT_EQ(fake_->partition(kC2), "isolated");
}

TEST_F(IsolatorV2, ReleaseAfterWholePodRemoved) {
  const Isolation done = isolate(kC1, CpuSet::of({2}));
  ASSERT_TRUE(fake_->remove(P(kC1)));
  ASSERT_TRUE(fake_->remove(P(kC2)));
  ASSERT_TRUE(fake_->remove(P(kPod)));
  IsolationContext ctx = context();
  EXPECT_TRUE(isolator_->release(done, ctx).problems.empty());
  EXPECT_TRUE(fake_->exclusive(kKubepods).empty());
}

class IsolatorV2ReleaseOrder : public IsolatorV2, public ::testing::WithParamInterface<bool> {};

TEST_P(IsolatorV2ReleaseOrder, TwoContainersOfOnePodShareAncestors) {
  const Isolation first = isolate(kC1, CpuSet::of({2}));
  const Isolation second = isolate(kC2, CpuSet::of({3}), {first});
  EXPECT_EQ(fake_->exclusive(kKubepods), CpuSet::of({2, 3}));
  EXPECT_EQ(fake_->exclusive(kPod), CpuSet::of({2, 3}));
  EXPECT_EQ(fake_->root_isolated(), CpuSet::of({2, 3}));

  const bool first_goes_first = GetParam();
  const Isolation& gone = first_goes_first ? first : second;
  const Isolation& staying = first_goes_first ? second : first;
  IsolationContext ctx = context({staying});
  EXPECT_TRUE(isolator_->release(gone, ctx).problems.empty());
  EXPECT_EQ(fake_->exclusive(kKubepods), staying.cpus);
  EXPECT_EQ(fake_->exclusive(kPod), staying.cpus);
  EXPECT_EQ(fake_->partition(staying.cgroup), "isolated");
  EXPECT_EQ(fake_->partition(gone.cgroup), "member");
  EXPECT_EQ(fake_->root_isolated(), staying.cpus);

  IsolationContext last = context();
  EXPECT_TRUE(isolator_->release(staying, last).problems.empty());
  expect_clean();
}

INSTANTIATE_TEST_SUITE_P(BothOrders, IsolatorV2ReleaseOrder, ::testing::Bool());

// Plans keep CPUs disjoint, so this needs a hand-made record (e.g. a ledger
// written by an older version): a CPU another isolation below an ancestor
// still needs stays claimed there.
TEST_F(IsolatorV2, ReleaseKeepsCpusAnotherRecordNeedsAtThatLevel) {
  const Isolation done = isolate(kC1, CpuSet::of({2}));
  Isolation other;
  other.isolator = std::string(kIsolatorV2);
  other.cgroup = "kubepods.slice/kubepods-pod2.slice/cri-containerd-ccc.scope";
  other.cpus = CpuSet::of({2});
  IsolationContext ctx = context({other});
  EXPECT_TRUE(isolator_->release(done, ctx).problems.empty());
  EXPECT_EQ(fake_->exclusive(kKubepods), CpuSet::of({2}));  // shared ancestor: still needed
  EXPECT_TRUE(fake_->exclusive(kPod).empty());              // not an ancestor of the other
  EXPECT_TRUE(fake_->exclusive(kC1).empty());
  EXPECT_EQ(fake_->partition(kC1), "member");
}

TEST_F(IsolatorV2, KeepsOperatorsExclusiveEntries) {
  fake_->set_file(kKubepods, "cpuset.cpus.exclusive", "6\n");
  IsolationContext ctx = context();
  auto plan = isolator_->plan(P(kC1), CpuSet::of({2}), ctx);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(changes_of<V2Changes>(*plan).ancestor_additions[0].added, CpuSet::of({2}));
  ASSERT_TRUE(isolator_->apply(*plan, ctx));
  EXPECT_EQ(fake_->exclusive(kKubepods), CpuSet::of({2, 6}));
  EXPECT_TRUE(isolator_->release(*plan, ctx).problems.empty());
  EXPECT_EQ(fake_->exclusive(kKubepods), CpuSet::of({6}));
  EXPECT_TRUE(fake_->exclusive(kPod).empty());
}

TEST_F(IsolatorV2, KeepsAnOperatorsClaimOnTheSameCpu) {
  fake_->set_file(kKubepods, "cpuset.cpus.exclusive", "2\n");
  IsolationContext ctx = context();
  auto plan = isolator_->plan(P(kC1), CpuSet::of({2}), ctx);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(changes_of<V2Changes>(*plan).ancestor_additions[0].added.empty());
  EXPECT_EQ(changes_of<V2Changes>(*plan).ancestor_additions[1].added, CpuSet::of({2}));
  ASSERT_TRUE(isolator_->apply(*plan, ctx));
  EXPECT_EQ(fake_->partition(kC1), "isolated");
  EXPECT_TRUE(isolator_->release(*plan, ctx).problems.empty());
  EXPECT_EQ(fake_->exclusive(kKubepods), CpuSet::of({2}));
  EXPECT_TRUE(fake_->exclusive(kPod).empty());
}

TEST_F(IsolatorV2, ContainerDirectlyUnderRoot) {
  fake_->add_cgroup("mycontainer", CpuSet::of({5}));
  const Isolation done = isolate("mycontainer", CpuSet::of({5}));
  EXPECT_TRUE(changes_of<V2Changes>(done).ancestor_additions.empty());
  EXPECT_EQ(fake_->partition("mycontainer"), "isolated");
  IsolationContext ctx = context();
  EXPECT_TRUE(isolator_->release(done, ctx).problems.empty());
  EXPECT_EQ(fake_->partition("mycontainer"), "member");
  EXPECT_TRUE(fake_->exclusive("mycontainer").empty());
}

TEST_F(IsolatorV2, CheckpointsBetweenWritesInOrder) {
  IsolationContext ctx = context();
  std::vector<std::string> steps;
  ctx.checkpoint = [&](std::string_view step) { steps.emplace_back(step); };
  auto plan = isolator_->plan(P(kC1), CpuSet::of({2}), ctx);
  ASSERT_TRUE(plan);
  ASSERT_TRUE(isolator_->apply(*plan, ctx));
  EXPECT_EQ(steps, (std::vector<std::string>{"v2.ancestor:" + kKubepods, "v2.ancestor:" + kPod,
                                             "v2.exclusive", "v2.partition"}));
}

// A crash at any checkpoint leaves a partial apply; release of the persisted
// plan must undo it completely.
TEST_F(IsolatorV2, ReleaseUndoesACrashAtEveryCheckpoint) {
  const std::vector<std::string> steps{"v2.ancestor:" + kKubepods, "v2.ancestor:" + kPod, "v2.exclusive",
                                       "v2.partition"};
  for (const std::string& crash_at : steps) {
    SCOPED_TRACE(crash_at);
    IsolationContext ctx = context();
    ctx.checkpoint = [&](std::string_view step) {
      if (step == crash_at) {
        throw std::runtime_error("crash");
      }
    };
    auto plan = isolator_->plan(P(kC1), CpuSet::of({2}), ctx);
    ASSERT_TRUE(plan);
    EXPECT_THROW((void)isolator_->apply(*plan, ctx), std::runtime_error);
    IsolationContext after = context();
    EXPECT_TRUE(isolator_->release(*plan, after).problems.empty());
    expect_clean();
  }
}

TEST_F(IsolatorV2, WriteFailureAtEachStepRollsBackFully) {
  fake_->set_file(kKubepods, "cpuset.cpus.exclusive", "6\n");  // an operator's claim must survive too
  const auto before = fake_->snapshot();
  for (std::size_t n = 1; n <= 4; ++n) {
    SCOPED_TRACE("failing write " + std::to_string(n));
    IsolationContext ctx = context();
    auto plan = isolator_->plan(P(kC1), CpuSet::of({2}), ctx);
    ASSERT_TRUE(plan);
    fake_->fail_write(n);
    auto result = isolator_->apply(*plan, ctx);
    ASSERT_FALSE(result);
    EXPECT_TRUE(contains(result.error().message, "injected failure")) << result.error().message;
    EXPECT_TRUE(contains(result.error().message, "rolled back")) << result.error().message;
    EXPECT_EQ(fake_->snapshot(), before);
  }
}

TEST_F(IsolatorV2, InvalidPartitionReadBackFailsAndRollsBack) {
  // Taking every CPU is accepted by the write but leaves the partition invalid.
  // (The sibling must not run only on claimed CPUs, or the claim is refused.)
  fake_->set_file(kC2, "cpuset.cpus", "\n");
  IsolationContext ctx = context();
  ctx.min_housekeeping_cpus = 0;
  auto plan = isolator_->plan(P(kC1), CpuSet::range(0, 7), ctx);
  ASSERT_TRUE(plan) << plan.error().message;
  auto result = isolator_->apply(*plan, ctx);
  ASSERT_FALSE(result);
  EXPECT_TRUE(
      contains(result.error().message, "isolated invalid (Parent unable to distribute cpu downstream)"))
      << result.error().message;
  EXPECT_TRUE(contains(result.error().message, abs(kC1, "cpuset.cpus.partition"))) << result.error().message;
  fake_->set_file(kC2, "cpuset.cpus", "3\n");
  expect_clean();
}

TEST_F(IsolatorV2, FailsWhenCgroupMissing) {
  expect_plan_error(kPod + "/cri-containerd-zzz.scope", CpuSet::of({2}), context(),
                    {"does not exist", abs(kPod, "cri-containerd-zzz.scope")});
}

TEST_F(IsolatorV2, FailsWithoutCpusetInAncestorSubtreeControl) {
  fake_->set_file(kKubepods, "cgroup.subtree_control", "cpu memory\n");
  const std::string file = abs(kKubepods, "cgroup.subtree_control");
  expect_plan_error(kC1, CpuSet::of({2}), context(),
                    {"cpuset is not enabled in " + file, "echo +cpuset > " + file});
}

TEST_F(IsolatorV2, FailsWithoutCpusetInRootSubtreeControl) {
  fake_->set_file("", "cgroup.subtree_control", "memory\n");
  const std::string file = (fake_->mount() / "cgroup.subtree_control").string();
  expect_plan_error(kC1, CpuSet::of({2}), context(), {"cpuset is not enabled in " + file});
}

TEST_F(IsolatorV2, FailsWhenAnAncestorIsAPartitionRoot) {
  fake_->set_file(kPod, "cpuset.cpus.partition", "root\n");
  expect_plan_error(kC1, CpuSet::of({2}), context(), {abs(kPod, "cpuset.cpus.partition"), "\"root\""});
}

TEST_F(IsolatorV2, FailsOnOverlapWithAnotherContainer) {
  Isolation other;
  other.isolator = std::string(kIsolatorV2);
  other.cgroup = "kubepods.slice/kubepods-pod2.slice/cri-containerd-ccc.scope";
  other.cpus = CpuSet::of({2, 5});
  expect_plan_error(kC1, CpuSet::of({1, 2}), context({other}),
                    {"CPUs 2 are already isolated (by the container in cgroup " + other.cgroup});
}

TEST_F(IsolatorV2, FailsOnBootIsolatedCpus) {
  IsolationContext ctx = context();
  ctx.boot_isolated = CpuSet::of({2});
  expect_plan_error(kC1, CpuSet::of({2}), ctx, {"CPUs 2", "isolated at boot (isolcpus=)"});
}

TEST_F(IsolatorV2, FailsOnAPartitionWeDoNotOwn) {
  fake_->set_file("", "cpuset.cpus.isolated", "2\n");
  expect_plan_error(
      kC1, CpuSet::of({2}), context(),
      {"CPUs 2", "partition we do not own", (fake_->mount() / "cpuset.cpus.isolated").string()});
}

TEST_F(IsolatorV2, OthersIsolatedCpusInRootAreNotForeign) {
  const Isolation first = isolate(kC1, CpuSet::of({2}));
  EXPECT_NO_THROW(isolate(kC2, CpuSet::of({3}), {first}));
}

TEST_F(IsolatorV2, FailsWhenTooFewHousekeepingCpusRemain) {
  IsolationContext ctx = context();
  ctx.online = CpuSet::range(0, 3);
  ctx.boot_isolated = CpuSet::of({3});
  Isolation other;
  other.cgroup = kC2;
  other.cpus = CpuSet::of({1});
  ctx.others = {other};
  expect_plan_error(kC1, CpuSet::of({2}), ctx,
                    {"would leave 1 housekeeping CPUs (0)", "min_housekeeping_cpus = 2"});
}

TEST_F(IsolatorV2, FailsOnOfflineCpus) {
  expect_plan_error(kC1, CpuSet::of({9}), context(), {"CPUs 9", "not online"});
}

TEST_F(IsolatorV2, FailsOnEmptyCpuSet) { expect_plan_error(kC1, CpuSet{}, context(), {"no CPUs"}); }

TEST_F(IsolatorV2, FailsOnStaleSiblingClaim) {
  // A dead container's scope still claims CPU 2.
  fake_->add_cgroup(kPod + "/cri-containerd-dead.scope");
  fake_->set_file(kKubepods, "cpuset.cpus.exclusive", "2\n");
  fake_->set_file(kPod, "cpuset.cpus.exclusive", "2\n");
  fake_->set_file(kPod + "/cri-containerd-dead.scope", "cpuset.cpus.exclusive", "2\n");
  const std::string file = abs(kPod + "/cri-containerd-dead.scope", "cpuset.cpus.exclusive");
  expect_plan_error(kC1, CpuSet::of({2}), context(), {"claimed in " + file, "echo > " + file});
}

class IsolatorV2WithoutExclusive : public IsolatorV2 {
 protected:
  IsolatorV2WithoutExclusive() : IsolatorV2(FakeCgroupV2::Options{.has_exclusive = false}) {}
};

TEST_F(IsolatorV2WithoutExclusive, FailsNamingTheMissingFile) {
  expect_plan_error(kC1, CpuSet::of({2}), context(),
                    {"kernel 6.12.9-amd64 lacks cpuset.cpus.exclusive (remote partitions need 6.7+)",
                     abs(kPod, "cpuset.cpus.exclusive")});
}

class IsolatorV2OldKernel : public IsolatorV2 {
 protected:
  IsolatorV2OldKernel() : IsolatorV2({}, KernelVersion{6, 6, "6.6.13"}) {}
};

TEST_F(IsolatorV2OldKernel, FailsBefore67) {
  expect_plan_error(kC1, CpuSet::of({2}), context(),
                    {"kernel 6.6.13 lacks cpuset.cpus.exclusive (remote partitions need 6.7+)"});
}

// 6.7-6.10: an ancestor's exclusive CPUs must lie within its own cpuset.cpus.
class IsolatorV2Kernel69 : public IsolatorV2 {
 protected:
  IsolatorV2Kernel69()
      : IsolatorV2(FakeCgroupV2::Options{.exclusive_within_own_cpus = true}, KernelVersion{6, 9, "6.9.7"}) {}
};

TEST_F(IsolatorV2Kernel69, FailsWhenAncestorCpusLackTheCpu) {
  fake_->set_file(kPod, "cpuset.cpus", "0-1\n");
  const std::string cpus_file = abs(kPod, "cpuset.cpus");
  expect_plan_error(kC1, CpuSet::of({2}), context(),
                    {"kernel 6.9.7 requires " + abs(kPod, "cpuset.cpus.exclusive"), cpus_file, "add CPUs 2"});
}

TEST_F(IsolatorV2Kernel69, SucceedsWhenAncestorCpusCoverTheCpu) {
  fake_->set_file(kPod, "cpuset.cpus", "0-3\n");
  const Isolation done = isolate(kC1, CpuSet::of({2}));
  EXPECT_EQ(fake_->partition(kC1), "isolated");
  IsolationContext ctx = context();
  EXPECT_TRUE(isolator_->release(done, ctx).problems.empty());
  EXPECT_TRUE(fake_->exclusive(kKubepods).empty());
}

TEST_F(IsolatorV2, Kernel611IgnoresAncestorCpus) {
  fake_->set_file(kPod, "cpuset.cpus", "0-1\n");
  EXPECT_NO_THROW(isolate(kC1, CpuSet::of({2})));
}

class IsolatorV2Kernel67NoRootIsolated : public IsolatorV2 {
 protected:
  IsolatorV2Kernel67NoRootIsolated()
      : IsolatorV2(FakeCgroupV2::Options{.has_root_isolated = false}, KernelVersion{6, 7, "6.7.1"}) {}
};

TEST_F(IsolatorV2Kernel67NoRootIsolated, KernelIsolatedFromKnownPartitions) {
  const Isolation done = isolate(kC1, CpuSet::of({2}));
  EXPECT_EQ(isolator_->kernel_isolated(context({done})), CpuSet::of({2}));
  EXPECT_TRUE(isolator_->kernel_isolated(context()).empty());
}

// Seen on 6.12: the kernel invalidates a partition it had accepted ("isolated
// invalid", no reason); intact() tells reconcile to make it anew.
TEST_F(IsolatorV2, IntactUntilTheKernelInvalidatesThePartition) {
  const Isolation iso = isolate(kC1, CpuSet::of({2}));
  EXPECT_TRUE(isolator_->intact(iso));
  fake_->invalidate(kC1);
  EXPECT_EQ(fake_->partition(kC1), "isolated invalid");
  EXPECT_FALSE(isolator_->intact(iso));
  IsolationContext ctx = context();
  EXPECT_FALSE(isolator_->release(iso, ctx).left);
  expect_clean();
  const Isolation again = isolate(kC1, CpuSet::of({2}));
  EXPECT_TRUE(isolator_->intact(again));
  EXPECT_EQ(fake_->root_isolated().to_string(), "2");
}

// 6.12's zombie partition (tests/vm/guest/scenarios/base_v2_zombie.sh): a
// sibling's cpuset.cpus over an isolated partition invalidates it and keeps
// its CPUs in the kernel's remote mask.
class IsolatorV2Zombie : public IsolatorV2 {
 protected:
  Isolation make_zombie() {
    Isolation iso = isolate(kC1, CpuSet::of({2}));
    EXPECT_TRUE(fake_->write(P(kC2), "cpuset.cpus", "2"));
    EXPECT_EQ(fake_->partition(kC1), "isolated invalid");
    EXPECT_FALSE(isolator_->intact(iso));
    EXPECT_EQ(fake_->sched_null(), CpuSet::of({2}));
    return iso;
  }
  [[nodiscard]] bool rebuilt() const {
    const auto& log = fake_->write_log();
    return std::find(log.begin(), log.end(), "runc-isolcpus.rebuild:cpuset.cpus.partition=isolated") !=
           log.end();
  }
};

TEST_F(IsolatorV2Zombie, ReleaseRebuildsTheDomainsMemberAloneLeavesStale) {
  const Isolation iso = make_zombie();
  IsolationContext ctx = context();
  const auto result = isolator_->release(iso, ctx);
  EXPECT_TRUE(result.complete());
  EXPECT_TRUE(result.problems.empty()) << result.problems.front();
  EXPECT_TRUE(rebuilt());
  EXPECT_TRUE(fake_->sched_null().empty()) << fake_->sched_null().to_string();
  EXPECT_FALSE(fake_->exists(P("runc-isolcpus.rebuild")));
  EXPECT_TRUE(fake_->root_isolated().empty());
}

TEST_F(IsolatorV2Zombie, ReleaseAfterTheZombiesCgroupWentReturnsTheLeakedCpus) {
  const Isolation iso = make_zombie();
  ASSERT_TRUE(fake_->remove(P(kC1)));
  EXPECT_EQ(fake_->root_isolated(), CpuSet::of({2})) << "the kernel leaks the CPU";
  IsolationContext ctx = context();
  const auto result = isolator_->release(iso, ctx);
  EXPECT_TRUE(result.complete());
  EXPECT_TRUE(rebuilt());
  EXPECT_TRUE(fake_->root_isolated().empty());
  EXPECT_TRUE(fake_->sched_null().empty()) << fake_->sched_null().to_string();
}

TEST_F(IsolatorV2Zombie, ACrashMidRebuildIsFinishedByTheNextRelease) {
  const Isolation iso = make_zombie();
  IsolationContext ctx = context();
  ctx.checkpoint = [](std::string_view step) {
    if (step == "v2.rebuild") {
      throw std::runtime_error("crash");
    }
  };
  EXPECT_THROW((void)isolator_->release(iso, ctx), std::runtime_error);
  EXPECT_EQ(fake_->partition("runc-isolcpus.rebuild"), "isolated") << "a CPU isolated for no one, until...";
  IsolationContext again = context();
  const auto result = isolator_->release(iso, again);
  EXPECT_TRUE(result.complete());
  EXPECT_FALSE(fake_->exists(P("runc-isolcpus.rebuild")));
  EXPECT_TRUE(fake_->sched_null().empty()) << fake_->sched_null().to_string();
  EXPECT_TRUE(fake_->root_isolated().empty());
}

TEST_F(IsolatorV2Zombie, AFailedRebuildKeepsTheEntryAndTheNextReleasePaysIt) {
  const Isolation iso = make_zombie();
  IsolationContext ctx = context();
  // The writes: the debt into the rebuild cgroup, C1 member, C1's claim, the
  // pod's, kubepods', then the rebuild's partition: fail that one.
  fake_->fail_write(6);
  const auto result = isolator_->release(iso, ctx);
  ASSERT_FALSE(result.complete()) << "the debt keeps the entry";
  EXPECT_TRUE(changes_of<V2Changes>(*result.left).ancestor_additions.empty());
  ASSERT_FALSE(result.problems.empty());
  EXPECT_TRUE(contains(result.problems.back(), "without a scheduler domain")) << result.problems.back();
  EXPECT_EQ(fake_->sched_null(), CpuSet::of({2}));
  IsolationContext again = context();
  EXPECT_TRUE(isolator_->release(*result.left, again).complete());
  EXPECT_TRUE(fake_->sched_null().empty()) << fake_->sched_null().to_string();
  EXPECT_FALSE(fake_->exists(P("runc-isolcpus.rebuild")));
}

// Review R1, R2: a crash at any write after the debt is recorded (between
// member and the claims, or before the rebuild's partition) is paid by the
// next release, which no longer sees an invalid partition.
TEST_F(IsolatorV2Zombie, ACrashAtAnyLaterWriteIsPaidByTheNextRelease) {
  for (int crash_at = 1; crash_at <= 7; ++crash_at) {
    SCOPED_TRACE("crash before write " + std::to_string(crash_at));
    fake_ = std::make_unique<FakeCgroupV2>();
    fake_->add_cgroup(kC1, CpuSet::of({2}));
    fake_->add_cgroup(kC2, CpuSet::of({3}));
    isolator_ = make_v2_isolator(*fake_, kernel_);
    const Isolation iso = make_zombie();
    int n = 0;
    fake_->before_write = [&n, crash_at] {
      if (++n == crash_at) {
        throw std::runtime_error("crash");
      }
    };
    IsolationContext ctx = context();
    EXPECT_THROW((void)isolator_->release(iso, ctx), std::runtime_error);
    fake_->before_write = nullptr;
    IsolationContext again = context();
    EXPECT_TRUE(isolator_->release(iso, again).complete());
    EXPECT_TRUE(fake_->sched_null().empty()) << fake_->sched_null().to_string();
    EXPECT_FALSE(fake_->exists(P("runc-isolcpus.rebuild")));
  }
}

// Review finding 3: a cgroup of that name with tasks is someone else's.
TEST_F(IsolatorV2Zombie, ARebuildCgroupWithTasksIsNotOursAndNotTouched) {
  const Isolation iso = make_zombie();
  fake_->add_cgroup("runc-isolcpus.rebuild", CpuSet::of({5}));
  fake_->set_file("runc-isolcpus.rebuild", "cgroup.procs", "4242\n");
  IsolationContext ctx = context();
  const auto result = isolator_->release(iso, ctx);
  EXPECT_FALSE(result.complete());
  EXPECT_TRUE(contains(result.problems.front(), "not ours")) << result.problems.front();
  EXPECT_EQ(fake_->cpus_in("runc-isolcpus.rebuild"), CpuSet::of({5}));
  EXPECT_EQ(fake_->partition(kC1), "isolated invalid") << "no member without a recorded debt";
  IsolationContext plan_ctx = context();
  auto plan = isolator_->plan(P("runc-isolcpus.rebuild"), CpuSet::of({5}), plan_ctx);
  ASSERT_FALSE(plan);
  EXPECT_TRUE(contains(plan.error().message, "keeps the name")) << plan.error().message;
}

TEST_F(IsolatorV2Zombie, KernelProblemNamesThePartitionFileAndWhatItReads) {
  const Isolation iso = make_zombie();
  const auto problem = isolator_->kernel_problem(iso);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(*problem, abs(kC1, "cpuset.cpus.partition") + " reads \"isolated invalid\"");
  ASSERT_TRUE(fake_->write(P(kC2), "cpuset.cpus", "3"));
  IsolationContext ctx = context();
  (void)isolator_->release(iso, ctx);
  ASSERT_TRUE(fake_->remove(P(kC1)));
  const auto gone = isolator_->kernel_problem(iso);
  ASSERT_TRUE(gone.has_value());
  EXPECT_TRUE(contains(*gone, "cannot be read")) << *gone;
}

TEST_F(IsolatorV2Zombie, AnIntactReleaseDoesNotRebuild) {
  const Isolation iso = isolate(kC1, CpuSet::of({2}));
  EXPECT_EQ(isolator_->kernel_problem(iso), std::nullopt);
  IsolationContext ctx = context();
  EXPECT_TRUE(isolator_->release(iso, ctx).complete());
  EXPECT_FALSE(rebuilt());
  EXPECT_TRUE(fake_->sched_null().empty());
  ASSERT_TRUE(fake_->remove(P(kC1)));
  EXPECT_TRUE(isolator_->release(iso, ctx).complete());
  EXPECT_FALSE(rebuilt()) << "a valid partition's rmdir leaks nothing";
}

}  // namespace
}  // namespace isolcpus
