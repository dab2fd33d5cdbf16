// The cgroup v1 isolator against a model of the kernel's v1 cpuset rules.
// Every scenario asserts the scheduler's view (FakeCgroupV1::unbalanced(),
// the kernel's sched-domain rule applied to the files) as well as the files.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fakes/fake_cgroup_v1.hpp"
#include "fakes/temp_dir.hpp"
#include "isolcpus/host_probe.hpp"
#include "isolcpus/isolator.hpp"

namespace isolcpus {

// Readable CPU lists in assertion failures (internal linkage: other test
// files of this binary may print CpuSet their own way).
static void PrintTo(const CpuSet& cpus, std::ostream* os) { *os << '"' << cpus.to_string() << '"'; }

namespace {

constexpr const char* kBalanced = "runc-isolcpus.balanced";
constexpr const char* kPod = "kubepods/pod1234";
constexpr const char* kCtrA = "kubepods/pod1234/ctr-a";  // pinned to CPU 2
constexpr const char* kCtrB = "kubepods/pod1234/ctr-b";  // pinned to CPU 3

CgroupPath cg(const char* path) { return *CgroupPath::parse(path); }

bool contains(const std::vector<std::string>& texts, const std::string& needle) {
  return std::any_of(texts.begin(), texts.end(),
                     [&](const std::string& t) { return t.find(needle) != std::string::npos; });
}

std::vector<std::string> changed_cgroups(const V1NodeRecord& record) {
  std::vector<std::string> out;
  for (const auto& change : record.flag_changes) {
    out.push_back(change.cgroup);
    EXPECT_TRUE(change.original) << change.cgroup;
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A 4-CPU node shaped like a kubelet's cgroupfs layout, plus a system cpuset.
class V1Isolation : public ::testing::Test {
 protected:
  void SetUp() override { build_default_node(); }

  void build_default_node() {
    fake.root("0-3", "0", true)
        .add("system", "0-3", true, "1")
        .add("kubepods", "0-3")
        .add("kubepods/besteffort", "0-3")
        .add(kPod, "0-3")
        .add(kCtrA, "2", true, "101")
        .add(kCtrB, "3", true, "102");
  }

  IsolationContext context(std::vector<Isolation> others = {}) {
    IsolationContext ctx;
    ctx.online = CpuSet::range(0, 3);
    ctx.min_housekeeping_cpus = 2;
    ctx.others = std::move(others);
    ctx.v1_node = &record;
    ctx.checkpoint = [this](std::string_view step) { steps.emplace_back(step); };
    return ctx;
  }

  // plan + apply, as the lifecycle does (minus persisting the plan).
  Expected<Isolation> isolate(const char* path, const CpuSet& cpus, std::vector<Isolation> others = {}) {
    auto ctx = context(std::move(others));
    auto plan = isolator->plan(cg(path), cpus, ctx);
    if (!plan) {
      return plan.error();
    }
    if (auto applied = isolator->apply(*plan, ctx); !applied) {
      return applied.error();
    }
    warnings = ctx.warnings;
    return plan;
  }

  std::vector<std::string> release(const Isolation& iso, std::vector<Isolation> others = {}) {
    auto ctx = context(std::move(others));
    return isolator->release(iso, ctx).problems;
  }

  TempDir dir;
  FakeCgroupV1 fake{dir.path()};
  std::unique_ptr<Isolator> isolator = make_v1_isolator(fake);
  V1NodeRecord record;
  std::vector<std::string> steps;
  std::vector<std::string> warnings;
};

// ---- the whole lifecycle ----------------------------------------------------

TEST_F(V1Isolation, NothingIsUnbalancedBeforeIsolation) {
  EXPECT_TRUE(fake.unbalanced().empty());
  EXPECT_TRUE(isolator->kernel_isolated(context()).empty());
  EXPECT_EQ(isolator->name(), kIsolatorV1);
}

TEST_F(V1Isolation, OneContainerTakesExactlyItsCpuOutOfBalancing) {
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;

  EXPECT_EQ(fake.unbalanced(), CpuSet::of({2}));
  EXPECT_EQ(isolator->kernel_isolated(context()), CpuSet::of({2}));
  EXPECT_EQ(fake.file("", "cpuset.sched_load_balance"), "0");
  EXPECT_TRUE(fake.dir_exists(kBalanced));
  EXPECT_EQ(fake.file(kBalanced, "cpuset.cpus"), "0-1,3");
  EXPECT_EQ(fake.file(kBalanced, "cpuset.mems"), "0");
  EXPECT_TRUE(fake.flag(kBalanced));
  EXPECT_FALSE(fake.flag(kCtrA));
  EXPECT_TRUE(fake.flag(kCtrB));  // CPU 3 only: it overlaps nothing isolated

  EXPECT_EQ(a->isolator, kIsolatorV1);
  EXPECT_EQ(a->cgroup, kCtrA);
  EXPECT_EQ(a->cpus, CpuSet::of({2}));
  EXPECT_EQ(changes_of<V1Changes>(*a).container_flag_original, std::optional<bool>(true));
  EXPECT_EQ(record.root_flag_original, std::optional<bool>(true));
  EXPECT_EQ(record.balanced_cgroup, kBalanced);
  EXPECT_EQ(changed_cgroups(record),
            (std::vector<std::string>{"kubepods", "kubepods/besteffort", kPod, "system"}));
  EXPECT_TRUE(warnings.empty());
}

TEST_F(V1Isolation, TwoContainersIsolateCpus2And3) {
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  auto b = isolate(kCtrB, CpuSet::of({3}), {*a});
  ASSERT_TRUE(b) << b.error().message;

  EXPECT_EQ(fake.unbalanced(), CpuSet::range(2, 3));
  EXPECT_EQ(isolator->kernel_isolated(context({*a, *b})), CpuSet::range(2, 3));
  EXPECT_EQ(fake.file("", "cpuset.sched_load_balance"), "0");
  EXPECT_EQ(fake.file(kBalanced, "cpuset.cpus"), "0-1");
  EXPECT_FALSE(fake.flag(kCtrA));
  EXPECT_FALSE(fake.flag(kCtrB));
  EXPECT_FALSE(fake.flag("system"));
  EXPECT_FALSE(fake.flag("kubepods"));
  // The first isolation's originals are kept, not overwritten by the second.
  EXPECT_EQ(record.root_flag_original, std::optional<bool>(true));
  EXPECT_EQ(changed_cgroups(record),
            (std::vector<std::string>{"kubepods", "kubepods/besteffort", kPod, "system"}));
}

TEST_F(V1Isolation, OneContainerWithTwoCpus) {
  fake.add("kubepods/pod1234/ctr-c", "2-3");
  auto c = isolate("kubepods/pod1234/ctr-c", CpuSet::range(2, 3));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(fake.unbalanced(), CpuSet::range(2, 3));
  // ctr-b (CPU 3) overlaps isolated CPUs: it must not stay a domain candidate.
  EXPECT_FALSE(fake.flag(kCtrB));
  EXPECT_EQ(fake.file(kBalanced, "cpuset.cpus"), "0-1");
}

class V1ReleaseOrder : public V1Isolation, public ::testing::WithParamInterface<bool> {};

TEST_P(V1ReleaseOrder, BothReleasedInEitherOrderLeaveTheTreeAsFound) {
  const auto initial = fake.snapshot();
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  auto b = isolate(kCtrB, CpuSet::of({3}), {*a});
  ASSERT_TRUE(b) << b.error().message;

  const bool a_first = GetParam();
  const Isolation& first = a_first ? *a : *b;
  const Isolation& second = a_first ? *b : *a;

  auto w1 = release(first, {second});
  EXPECT_TRUE(w1.empty()) << w1.front();
  EXPECT_EQ(fake.unbalanced(), second.cpus);
  EXPECT_EQ(fake.file("", "cpuset.sched_load_balance"), "0");
  EXPECT_EQ(fake.file(kBalanced, "cpuset.cpus"), (CpuSet::range(0, 3) - second.cpus).to_string());
  EXPECT_FALSE(record.balanced_cgroup.empty());

  auto w2 = release(second);
  EXPECT_TRUE(w2.empty()) << w2.front();
  EXPECT_TRUE(fake.unbalanced().empty());
  EXPECT_FALSE(fake.dir_exists(kBalanced));
  EXPECT_EQ(record, V1NodeRecord{});
  EXPECT_EQ(fake.snapshot(), initial);
}

INSTANTIATE_TEST_SUITE_P(AFirstOrBFirst, V1ReleaseOrder, ::testing::Bool());

TEST_F(V1Isolation, ReleasingKeepsAContainerCpusetOverlappingStillIsolatedCpusAtZero) {
  fake.add("kubepods/pod1234/ctr-c", "2-3");
  const auto with_c = fake.snapshot();
  auto c = isolate("kubepods/pod1234/ctr-c", CpuSet::of({2}));
  ASSERT_TRUE(c) << c.error().message;
  auto b = isolate(kCtrB, CpuSet::of({3}), {*c});
  ASSERT_TRUE(b) << b.error().message;

  auto w = release(*c, {*b});
  EXPECT_TRUE(w.empty()) << w.front();
  // Flag 1 on ctr-c (CPUs 2-3) would pull CPU 3 back into a domain.
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({3}));
  EXPECT_FALSE(fake.flag("kubepods/pod1234/ctr-c"));

  w = release(*b);
  EXPECT_TRUE(w.empty()) << w.front();
  EXPECT_EQ(fake.snapshot(), with_c);
  EXPECT_EQ(record, V1NodeRecord{});
}

TEST_F(V1Isolation, ContainerWhoseFlagWasAlreadyZeroKeepsIt) {
  fake.add("kubepods/pod1234/ctr-z", "2", false);
  const auto start = fake.snapshot();
  auto z = isolate("kubepods/pod1234/ctr-z", CpuSet::of({2}));
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(changes_of<V1Changes>(*z).container_flag_original, std::optional<bool>(false));
  // ctr-a also holds CPU 2 with flag 1: it is an overlapping cpuset too.
  EXPECT_FALSE(fake.flag(kCtrA));
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({2}));
  auto w = release(*z);
  EXPECT_TRUE(w.empty()) << w.front();
  EXPECT_EQ(fake.snapshot(), start);
}

// ---- cpusets created after isolation ----------------------------------------

TEST_F(V1Isolation, EnforceFlipsANewPodSliceThatRebalancedIsolatedCpus) {
  const auto initial = fake.snapshot();
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  auto b = isolate(kCtrB, CpuSet::of({3}), {*a});
  ASSERT_TRUE(b) << b.error().message;

  // kubelet creates a new pod: flag 1 and the parent's CPUs 0-3.
  ASSERT_TRUE(fake.make(cg("kubepods/pod5678")));
  EXPECT_TRUE(fake.unbalanced().empty()) << "the model must show the new pod re-balancing CPUs 2-3";

  auto ctx = context({*a, *b});
  const auto fixes = isolator->enforce(ctx);
  ASSERT_EQ(fixes.size(), 1U);
  EXPECT_NE(fixes.front().find("kubepods/pod5678"), std::string::npos) << fixes.front();
  EXPECT_EQ(fake.unbalanced(), CpuSet::range(2, 3));
  EXPECT_FALSE(fake.flag("kubepods/pod5678"));
  EXPECT_TRUE(contains(changed_cgroups(record), "kubepods/pod5678"));

  // A second pass finds nothing and writes nothing.
  const auto writes = fake.operations().size();
  auto ctx2 = context({*a, *b});
  EXPECT_TRUE(isolator->enforce(ctx2).empty());
  EXPECT_EQ(fake.operations().size(), writes);

  EXPECT_TRUE(release(*a, {*b}).empty());
  EXPECT_TRUE(release(*b).empty());
  // Everything back, the new pod with the flag it was born with.
  EXPECT_TRUE(fake.flag("kubepods/pod5678"));
  auto now = fake.snapshot();
  for (auto it = now.begin(); it != now.end();) {
    it = it->first.rfind("kubepods/pod5678", 0) == 0 ? now.erase(it) : std::next(it);
  }
  EXPECT_EQ(now, initial);
  EXPECT_EQ(record, V1NodeRecord{});
}

TEST_F(V1Isolation, EnforceWithNothingIsolatedDoesNothing) {
  const auto initial = fake.snapshot();
  auto ctx = context();
  EXPECT_TRUE(isolator->enforce(ctx).empty());
  EXPECT_TRUE(fake.operations().empty());
  EXPECT_EQ(fake.snapshot(), initial);
}

TEST_F(V1Isolation, EnforcePutsTheRootFlagBackToZero) {
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(fake.write(CgroupPath(), "cpuset.sched_load_balance", "1"));
  EXPECT_TRUE(fake.unbalanced().empty());
  auto ctx = context({*a});
  const auto fixes = isolator->enforce(ctx);
  EXPECT_TRUE(contains(fixes, "root cpuset")) << (fixes.empty() ? "" : fixes.front());
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({2}));
}

// ---- an operator-prepared node ----------------------------------------------

class V1PreparedNode : public V1Isolation {
 protected:
  void SetUp() override {
    // Root 0 and a system cpuset keeping the housekeeping CPUs balanced.
    fake.root("0-3", "0", false)
        .add("system", "0-1", true, "1")
        .add("kubepods", "0-3")
        .add("kubepods/besteffort", "0-3")
        .add(kPod, "0-3")
        .add(kCtrA, "2", true, "101")
        .add(kCtrB, "3", true, "102");
  }
};

TEST_F(V1PreparedNode, ChangesNoMoreThanNeeded) {
  fake.add("kubepods/pod1234/ctr-c", "2-3");
  const auto initial = fake.snapshot();
  EXPECT_TRUE(fake.unbalanced().empty());
  auto c = isolate("kubepods/pod1234/ctr-c", CpuSet::range(2, 3));
  ASSERT_TRUE(c) << c.error().message;

  EXPECT_EQ(fake.unbalanced(), CpuSet::range(2, 3));
  EXPECT_FALSE(fake.dir_exists(kBalanced));
  EXPECT_TRUE(record.balanced_cgroup.empty());
  EXPECT_FALSE(record.root_flag_original.has_value());
  EXPECT_TRUE(fake.flag("system"));
  EXPECT_EQ(changed_cgroups(record),
            (std::vector<std::string>{"kubepods", "kubepods/besteffort", kPod, kCtrA, kCtrB}));
  for (const auto& op : fake.operations()) {
    EXPECT_EQ(op.find("mkdir"), std::string::npos) << op;
    EXPECT_NE(op.rfind("write  ", 0), 0U) << "root written: " << op;
    EXPECT_EQ(op.find("write system "), std::string::npos) << op;
  }

  EXPECT_TRUE(release(*c).empty());
  EXPECT_TRUE(fake.unbalanced().empty());
  EXPECT_EQ(fake.snapshot(), initial);
  EXPECT_EQ(record, V1NodeRecord{});
  for (const auto& op : fake.operations()) {
    EXPECT_NE(op.rfind("write  ", 0), 0U) << "root written: " << op;
    EXPECT_EQ(op.find("write system "), std::string::npos) << op;
  }
}

TEST_F(V1PreparedNode, HousekeepingCpusOnlyPodCpusetsCoverGetOurBalancedCpuset) {
  // Isolating CPU 2 alone leaves CPU 3 covered by nothing the operator made
  // (only by ctr-b, which goes when its container does): ours covers it.
  const auto initial = fake.snapshot();
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(fake.file(kBalanced, "cpuset.cpus"), "0-1,3");
  auto b = isolate(kCtrB, CpuSet::of({3}), {*a});
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(fake.unbalanced(), CpuSet::range(2, 3));
  EXPECT_EQ(fake.file(kBalanced, "cpuset.cpus"), "0-1");
  EXPECT_FALSE(record.root_flag_original.has_value());

  EXPECT_TRUE(release(*a, {*b}).empty());
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({3}));
  EXPECT_TRUE(release(*b).empty());
  EXPECT_TRUE(fake.unbalanced().empty());
  EXPECT_EQ(fake.snapshot(), initial);
  EXPECT_EQ(record, V1NodeRecord{});
  for (const auto& op : fake.operations()) {
    EXPECT_NE(op.rfind("write  ", 0), 0U) << "root written: " << op;
    EXPECT_EQ(op.find("write system "), std::string::npos) << op;
  }
}

TEST_F(V1PreparedNode, CreatesTheBalancedCpusetWhenTheOperatorsCpusetsFallShort) {
  // The system cpuset covers CPU 0 only: CPU 1 (housekeeping) needs ours.
  ASSERT_TRUE(fake.write(cg("system"), "cpuset.cpus", "0"));
  const auto initial = fake.snapshot();
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(fake.file(kBalanced, "cpuset.cpus"), "0-1,3");
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({2}));
  EXPECT_FALSE(record.root_flag_original.has_value());
  EXPECT_TRUE(release(*a).empty());
  EXPECT_EQ(fake.snapshot(), initial);
}

// ---- configuration: the root flag is not ours to touch ----------------------

TEST_F(V1Isolation, RootFlagLeftAtOneWhenNotManagedWarnsAndDoesTheRest) {
  const auto initial = fake.snapshot();
  auto ctx = context();
  ctx.v1_manage_root_flag = false;
  auto plan = isolator->plan(cg(kCtrA), CpuSet::of({2}), ctx);
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_TRUE(isolator->apply(*plan, ctx));

  ASSERT_EQ(ctx.warnings.size(), 1U);
  const auto& warning = ctx.warnings.front();
  EXPECT_NE(warning.find("v1_manage_root_flag=false"), std::string::npos) << warning;
  EXPECT_NE(warning.find("CPUs 2 stay balanced"), std::string::npos) << warning;
  EXPECT_NE(warning.find("echo 0 > " + (dir.path() / "cpuset.sched_load_balance").string()),
            std::string::npos)
      << warning;
  EXPECT_EQ(fake.file("", "cpuset.sched_load_balance"), "1");
  EXPECT_FALSE(record.root_flag_original.has_value());
  EXPECT_FALSE(fake.flag(kCtrA));
  EXPECT_EQ(fake.file(kBalanced, "cpuset.cpus"), "0-1,3");
  EXPECT_TRUE(fake.unbalanced().empty()) << "root 1: the kernel balances everything";

  // Once the operator prepares the node, the rest is already in place.
  ASSERT_TRUE(fake.write(CgroupPath(), "cpuset.sched_load_balance", "0"));
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({2}));
  ASSERT_TRUE(fake.write(CgroupPath(), "cpuset.sched_load_balance", "1"));

  auto rctx = context();
  rctx.v1_manage_root_flag = false;
  EXPECT_TRUE(isolator->release(*plan, rctx).problems.empty());
  EXPECT_EQ(fake.snapshot(), initial);
}

// ---- preconditions ----------------------------------------------------------

class V1Preconditions : public V1Isolation {
 protected:
  // Plans and expects a refusal containing every needle, with nothing changed.
  void expect_refused(const char* path, const CpuSet& cpus, IsolationContext ctx,
                      const std::vector<std::string>& needles) {
    const auto before = fake.snapshot();
    const V1NodeRecord record_before = record;
    auto plan = isolator->plan(cg(path), cpus, ctx);
    ASSERT_FALSE(plan) << "planned " << path << " " << cpus.to_string();
    for (const auto& needle : needles) {
      EXPECT_NE(plan.error().message.find(needle), std::string::npos)
          << "missing \"" << needle << "\" in: " << plan.error().message;
    }
    EXPECT_EQ(fake.snapshot(), before);
    EXPECT_EQ(record, record_before);
    EXPECT_TRUE(fake.operations().empty());
  }
};

TEST_F(V1Preconditions, ContainerCpusetMustExist) {
  expect_refused("kubepods/pod1234/gone", CpuSet::of({2}), context(),
                 {(dir.path() / "kubepods/pod1234/gone").string(), "does not exist"});
}

TEST_F(V1Preconditions, CpusMustBeTheContainers) {
  expect_refused(kCtrA, CpuSet::range(2, 3), context(),
                 {"CPUs 3 are not in", (dir.path() / kCtrA / "cpuset.cpus").string(), "(2)"});
}

TEST_F(V1Preconditions, CpusMustNotBeIsolatedForAnotherContainer) {
  fake.add("kubepods/pod1234/ctr-c", "3");
  Isolation b;
  b.isolator = std::string(kIsolatorV1);
  b.cgroup = kCtrB;
  b.cpus = CpuSet::of({3});
  expect_refused("kubepods/pod1234/ctr-c", CpuSet::of({3}), context({b}),
                 {"CPUs 3 are already isolated", kCtrB});
}

TEST_F(V1Preconditions, CpusMustNotBeBootIsolated) {
  auto ctx = context();
  ctx.boot_isolated = CpuSet::of({2});
  expect_refused(kCtrA, CpuSet::of({2}), std::move(ctx), {"CPUs 2", "isolated at boot", "isolcpus="});
}

TEST_F(V1Preconditions, CpusMustBeOnline) {
  auto ctx = context();
  ctx.online = CpuSet::range(0, 2);
  expect_refused(kCtrB, CpuSet::of({3}), std::move(ctx), {"CPUs 3 are not online", "0-2"});
}

TEST_F(V1Preconditions, EnoughHousekeepingCpusMustRemain) {
  Isolation a;
  a.isolator = std::string(kIsolatorV1);
  a.cgroup = kCtrA;
  a.cpus = CpuSet::of({2});
  auto ctx = context({a});
  ctx.min_housekeeping_cpus = 3;
  expect_refused(kCtrB, CpuSet::of({3}), std::move(ctx),
                 {"would leave 2 housekeeping CPUs (0-1)", "min_housekeeping_cpus = 3"});
}

TEST_F(V1Preconditions, BootIsolatedCpusAreNotHousekeeping) {
  Isolation b;
  b.isolator = std::string(kIsolatorV1);
  b.cgroup = kCtrB;
  b.cpus = CpuSet::of({3});
  auto ctx = context({b});
  ctx.boot_isolated = CpuSet::of({0});
  expect_refused(kCtrA, CpuSet::of({2}), std::move(ctx), {"would leave 1 housekeeping CPUs (1)"});
}

TEST_F(V1Preconditions, NoCpus) { expect_refused(kCtrA, CpuSet{}, context(), {"no CPUs"}); }

TEST_F(V1Preconditions, NoNodeRecord) {
  auto ctx = context();
  ctx.v1_node = nullptr;
  expect_refused(kCtrA, CpuSet::of({2}), std::move(ctx), {"v1_node"});
}

// ---- failures and crashes ---------------------------------------------------

TEST_F(V1Isolation, CheckpointsNameEachWriteInOrder) {
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(steps,
            (std::vector<std::string>{"v1.balanced.mkdir", "v1.balanced.mems", "v1.balanced.cpus",
                                      "v1.balanced.flag", "v1.container.flag", "v1.cpuset.flag",
                                      "v1.cpuset.flag", "v1.cpuset.flag", "v1.cpuset.flag", "v1.root.flag"}));
  // Balanced cpuset first, container before its ancestors, root last.
  const auto& ops = fake.operations();
  ASSERT_EQ(ops.size(), 10U);
  EXPECT_EQ(ops.front(), std::string("mkdir ") + kBalanced);
  EXPECT_EQ(ops[4], std::string("write ") + kCtrA + " cpuset.sched_load_balance 0");
  EXPECT_EQ(ops.back(), "write  cpuset.sched_load_balance 0");

  steps.clear();
  auto b = isolate(kCtrB, CpuSet::of({3}), {*a});
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(steps, (std::vector<std::string>{"v1.balanced.cpus", "v1.container.flag"}));
}

TEST_F(V1Isolation, AWriteFailureAtEveryStepRollsEverythingBack) {
  const auto initial = fake.snapshot();
  unsigned failures = 0;
  for (unsigned nth = 1; nth < 30; ++nth) {
    fake.fail_operation(nth);
    auto ctx = context();
    auto plan = isolator->plan(cg(kCtrA), CpuSet::of({2}), ctx);
    ASSERT_TRUE(plan) << plan.error().message;
    auto applied = isolator->apply(*plan, ctx);
    if (applied) {
      break;
    }
    ++failures;
    EXPECT_NE(applied.error().message.find("injected failure of operation " + std::to_string(nth)),
              std::string::npos)
        << applied.error().message;
    EXPECT_NE(applied.error().message.find("changes undone"), std::string::npos) << applied.error().message;
    EXPECT_EQ(fake.snapshot(), initial) << "after a failure at operation " << nth;
    // The engine then releases the plan (NodeSession::undo_kernel), which
    // owns the record from there: nothing else isolated, nothing kept.
    fake.fail_operation(0);
    auto released = isolator->release(*plan, ctx);
    EXPECT_TRUE(released.complete()) << "after a failure at operation " << nth;
    EXPECT_EQ(fake.snapshot(), initial) << "after the release of a failure at operation " << nth;
    EXPECT_EQ(record, V1NodeRecord{}) << "after the release of a failure at operation " << nth;
  }
  EXPECT_EQ(failures, 10U) << "every write of the first isolation must have been made to fail once";
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({2}));
}

TEST_F(V1Isolation, AWriteFailureWhileASecondContainerIsolatesLeavesTheFirstIntact) {
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  const auto after_a = fake.snapshot();
  const auto record_a = record;
  unsigned failures = 0;
  for (unsigned nth = 1; nth < 30; ++nth) {
    fake.fail_operation(nth);
    auto ctx = context({*a});
    auto plan = isolator->plan(cg(kCtrB), CpuSet::of({3}), ctx);
    ASSERT_TRUE(plan) << plan.error().message;
    if (isolator->apply(*plan, ctx)) {
      break;
    }
    ++failures;
    EXPECT_EQ(fake.snapshot(), after_a) << "after a failure at operation " << nth;
    fake.fail_operation(0);
    EXPECT_TRUE(isolator->release(*plan, ctx).complete()) << "after a failure at operation " << nth;
    EXPECT_EQ(fake.snapshot(), after_a) << "after the release of a failure at operation " << nth;
    EXPECT_EQ(record, record_a) << "after the release of a failure at operation " << nth;
    EXPECT_EQ(fake.unbalanced(), CpuSet::of({2}));
  }
  EXPECT_EQ(failures, 2U);
  EXPECT_EQ(fake.unbalanced(), CpuSet::range(2, 3));
}

struct Crash : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TEST_F(V1Isolation, ACrashMidApplyIsUndoneFromThePersistedRecord) {
  const auto initial = fake.snapshot();
  for (const char* crash_at :
       {"v1.balanced.mkdir", "v1.balanced.cpus", "v1.container.flag", "v1.cpuset.flag"}) {
    auto ctx = context();
    ctx.checkpoint = [&](std::string_view step) {
      if (step == crash_at) {
        throw Crash(crash_at);
      }
    };
    auto plan = isolator->plan(cg(kCtrA), CpuSet::of({2}), ctx);
    ASSERT_TRUE(plan) << plan.error().message;
    const V1NodeRecord persisted = record;  // what the ledger would hold
    EXPECT_THROW((void)isolator->apply(*plan, ctx), Crash);

    // A new process: a fresh isolator and the persisted record.
    auto recovered = make_v1_isolator(fake);
    record = persisted;
    auto rctx = context();
    const auto w = recovered->release(*plan, rctx);
    EXPECT_TRUE(w.complete() && w.problems.empty())
        << crash_at << ": " << (w.problems.empty() ? "" : w.problems.front());
    EXPECT_EQ(fake.snapshot(), initial) << "crash at " << crash_at;
    EXPECT_EQ(record, V1NodeRecord{}) << "crash at " << crash_at;
  }
}

TEST_F(V1Isolation, ReleaseIsIdempotent) {
  const auto initial = fake.snapshot();
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(release(*a).empty());
  EXPECT_EQ(fake.snapshot(), initial);
  const auto ops = fake.operations().size();
  EXPECT_TRUE(release(*a).empty());
  EXPECT_TRUE(release(*a).empty());
  EXPECT_EQ(fake.snapshot(), initial);
  EXPECT_EQ(fake.operations().size(), ops) << "a second release must not write";
  EXPECT_EQ(record, V1NodeRecord{});
}

TEST_F(V1Isolation, ReleaseToleratesTheContainerCpusetAlreadyRemoved) {
  auto initial = fake.snapshot();
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  auto b = isolate(kCtrB, CpuSet::of({3}), {*a});
  ASSERT_TRUE(b) << b.error().message;
  // runc delete removes the cgroup (its tasks gone) before we are told.
  ASSERT_TRUE(fake.write(cg(kCtrA), "tasks", ""));
  ASSERT_TRUE(fake.remove(cg(kCtrA)));

  auto w = release(*a, {*b});
  EXPECT_TRUE(w.empty()) << w.front();
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({3}));
  w = release(*a, {*b});
  EXPECT_TRUE(w.empty()) << w.front();
  w = release(*b);
  EXPECT_TRUE(w.empty()) << w.front();
  EXPECT_TRUE(fake.unbalanced().empty());
  for (auto it = initial.begin(); it != initial.end();) {
    it = it->first.rfind(kCtrA, 0) == 0 ? initial.erase(it) : std::next(it);
  }
  EXPECT_EQ(fake.snapshot(), initial);
  EXPECT_EQ(record, V1NodeRecord{});
}

TEST_F(V1Isolation, ReleaseToleratesEveryRecordedCpusetGone) {
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  for (const char* path : {kCtrA, kCtrB, kPod}) {
    ASSERT_TRUE(fake.write(cg(path), "tasks", ""));
    ASSERT_TRUE(fake.remove(cg(path))) << path;
  }
  auto w = release(*a);
  EXPECT_TRUE(w.empty()) << w.front();
  EXPECT_TRUE(fake.unbalanced().empty());
  EXPECT_EQ(record, V1NodeRecord{});
  EXPECT_FALSE(fake.dir_exists(kBalanced));
}

TEST_F(V1Isolation, ReleaseRecreatesAVanishedBalancedCpusetWhileOthersRemain) {
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  auto b = isolate(kCtrB, CpuSet::of({3}), {*a});
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_TRUE(fake.remove(cg(kBalanced)));
  EXPECT_EQ(fake.unbalanced(), CpuSet::range(0, 3));

  EXPECT_TRUE(release(*a, {*b}).empty());
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({3}));
  EXPECT_EQ(fake.file(kBalanced, "cpuset.cpus"), "0-2");
  EXPECT_EQ(fake.file(kBalanced, "cpuset.mems"), "0");
}

TEST_F(V1Isolation, ReleaseWarnsAndKeepsTheRecordWhenTheBalancedCpusetIsBusy) {
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(fake.write(cg(kBalanced), "tasks", "4242"));
  auto w = release(*a);
  ASSERT_EQ(w.size(), 1U);
  EXPECT_NE(w.front().find((dir.path() / kBalanced).string()), std::string::npos) << w.front();
  EXPECT_NE(w.front().find("busy"), std::string::npos) << w.front();
  EXPECT_EQ(record.balanced_cgroup, kBalanced);
  EXPECT_TRUE(record.flag_changes.empty());
  EXPECT_FALSE(record.root_flag_original.has_value());
  EXPECT_TRUE(fake.unbalanced().empty());

  // Once the task is gone, the next release finishes the job.
  ASSERT_TRUE(fake.write(cg(kBalanced), "tasks", ""));
  EXPECT_TRUE(release(*a).empty());
  EXPECT_EQ(record, V1NodeRecord{});
  EXPECT_FALSE(fake.dir_exists(kBalanced));
}

TEST_F(V1Isolation, EnforceRecreatesAVanishedBalancedCpuset) {
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(fake.remove(cg(kBalanced)));
  EXPECT_EQ(fake.unbalanced(), CpuSet::range(0, 2)) << "ctr-b still covers CPU 3";
  auto ctx = context({*a});
  const auto fixes = isolator->enforce(ctx);
  EXPECT_TRUE(contains(fixes, "was gone")) << (fixes.empty() ? "" : fixes.front());
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({2}));
  EXPECT_EQ(fake.file(kBalanced, "cpuset.cpus"), "0-1,3");
}

// Found by the host crash soak: a container in runc's default cgroup /<id>
// is a top-level cpuset; while it covered the housekeeping CPUs no balanced
// cpuset was made, and when it was deleted they lost their domain.
TEST_F(V1Isolation, EnforceMakesTheBalancedCpusetWhenTopLevelCoverGoes) {
  fake.add("toplevel-ctr", "0-1,3", true, "");
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(record.balanced_cgroup.empty()) << "the top-level cpuset covered housekeeping";
  ASSERT_TRUE(fake.remove(cg("toplevel-ctr")));
  EXPECT_TRUE(fake.unbalanced().contains(CpuSet::range(0, 1)));
  auto ctx = context({*a});
  (void)isolator->enforce(ctx);
  EXPECT_EQ(fake.unbalanced(), CpuSet::of({2}));
  EXPECT_FALSE(record.balanced_cgroup.empty());
}

TEST_F(V1Isolation, KernelIsolatedFollowsTheKernelRule) {
  auto a = isolate(kCtrA, CpuSet::of({2}));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(isolator->kernel_isolated(context({*a})), fake.unbalanced());
  // A balanced cpuset deep below an unbalanced parent still counts.
  ASSERT_TRUE(fake.write(cg(kCtrA), "cpuset.sched_load_balance", "1"));
  EXPECT_TRUE(isolator->kernel_isolated(context({*a})).empty());
  EXPECT_TRUE(fake.unbalanced().empty());
}

// ---- the fake itself: the kernel rules the tests rely on --------------------

TEST_F(V1Isolation, FakeEnforcesNestingAndFlagValues) {
  auto wider = fake.write(cg(kCtrA), "cpuset.cpus", "1-2");
  ASSERT_TRUE(wider);  // the pod has 0-3
  auto outside = fake.write(cg("kubepods/besteffort"), "cpuset.cpus", "0-4");
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message.find("Invalid argument"), std::string::npos);
  auto below_child = fake.write(cg(kPod), "cpuset.cpus", "0-1");
  ASSERT_FALSE(below_child);
  EXPECT_NE(below_child.error().message.find("Invalid argument"), std::string::npos);
  EXPECT_FALSE(fake.write(cg(kPod), "cpuset.sched_load_balance", "2"));
  EXPECT_FALSE(fake.write(CgroupPath(), "cpuset.cpus", "0-1"));
  EXPECT_FALSE(fake.remove(cg(kPod))) << "a cpuset with children cannot be removed";
  EXPECT_FALSE(fake.make(cg("system"))) << "mkdir of an existing cpuset";
  ASSERT_TRUE(fake.make(cg("system/new")));
  EXPECT_EQ(fake.file("system/new", "cpuset.cpus"), "0-3");
  EXPECT_TRUE(fake.flag("system/new"));
}

TEST_F(V1Isolation, FakeRuleNeedsEveryCoveringCpusetAtZero) {
  ASSERT_TRUE(fake.write(CgroupPath(), "cpuset.sched_load_balance", "0"));
  EXPECT_TRUE(fake.unbalanced().empty()) << "system and kubepods cover 0-3";
  ASSERT_TRUE(fake.write(cg("system"), "cpuset.sched_load_balance", "0"));
  EXPECT_TRUE(fake.unbalanced().empty()) << "kubepods still covers 0-3";
  ASSERT_TRUE(fake.write(cg("kubepods"), "cpuset.sched_load_balance", "0"));
  EXPECT_TRUE(fake.unbalanced().empty()) << "besteffort and the pod cover 0-3";
  ASSERT_TRUE(fake.write(cg("kubepods/besteffort"), "cpuset.sched_load_balance", "0"));
  ASSERT_TRUE(fake.write(cg(kPod), "cpuset.sched_load_balance", "0"));
  EXPECT_EQ(fake.unbalanced(), CpuSet::range(0, 1)) << "only ctr-a (2) and ctr-b (3) remain candidates";
}

// ---- read-only against this machine's real cpuset hierarchy ------------------

// Reads the kernel's own files (formats, the root flag) without writing: tests
// must never flip this host's root flag (shared/docs/MACHINE.md).
TEST(V1RealHost, ReadsTheRealHierarchyWithoutWriting) {
  auto host = probe_host("/");
  ASSERT_TRUE(host) << host.error().message;
  ASSERT_EQ(host->mode, CgroupMode::kV1) << "shared/docs/MACHINE.md: cpuset is on cgroup v1 here";
  auto tree = open_cgroup_tree(host->cpuset_mount);
  auto isolator = make_v1_isolator(*tree);
  IsolationContext ctx;
  ctx.online = host->online;
  ctx.boot_isolated = host->boot_isolated;
  // The root flag is 1 on this machine: the kernel balances every CPU.
  EXPECT_EQ(tree->read(CgroupPath(), "cpuset.sched_load_balance").value(), "1\n");
  EXPECT_TRUE(isolator->kernel_isolated(ctx).empty());
  EXPECT_TRUE(isolator->enforce(ctx).empty()) << "nothing isolated: enforce must not touch the host";

  V1NodeRecord record;
  ctx.v1_node = &record;
  auto plan = isolator->plan(*CgroupPath::parse("runc-isolcpus-test-absent"), CpuSet::of({0}), ctx);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("/sys/fs/cgroup/cpuset/runc-isolcpus-test-absent"), std::string::npos)
      << plan.error().message;
  EXPECT_EQ(record, V1NodeRecord{});
}

}  // namespace
}  // namespace isolcpus
