// The Tuner and its knobs against FakeKernelFiles: what each knob writes,
// what it refuses, how a shared file is reference-counted, and that every
// failure leaves the files as they were.
#include "isolcpus/tuner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "fakes/fake_kernel_files.hpp"
#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

constexpr const char* kCpu = "sys/devices/system/cpu";
const CgroupPath kC1 = *CgroupPath::parse("kubepods/pod1/c1");
const CgroupPath kC2 = *CgroupPath::parse("kubepods/pod1/c2");

class TunerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (unsigned cpu = 0; cpu < 4; ++cpu) {
      const std::string c = std::string(kCpu) + "/cpu" + std::to_string(cpu);
      host.write_file(c + "/power/pm_qos_resume_latency_us", "0\n");
    }
    // CPUs 2 and 3 share one cpufreq policy, as on many laptops and AMD parts.
    for (const unsigned policy : {0U, 1U, 2U}) {
      const std::string p = std::string(kCpu) + "/cpufreq/policy" + std::to_string(policy);
      host.write_file(p + "/scaling_governor", "powersave\n");
      host.write_file(p + "/scaling_available_governors", "performance powersave\n");
    }
    for (const auto& [cpu, policy] : {std::pair{0, 0}, {1, 1}, {2, 2}, {3, 2}}) {
      std::filesystem::create_symlink("../cpufreq/policy" + std::to_string(policy),
                                      host / (std::string(kCpu) + "/cpu" + std::to_string(cpu) + "/cpufreq"));
    }
    host.write_file("sys/fs/cgroup/kubepods/pod1/cpu.max", "400000 100000\n");
    host.write_file("sys/fs/cgroup/kubepods/pod1/c1/cpu.max", "200000 100000\n");
    host.write_file("sys/fs/cgroup/kubepods/pod1/c2/cpu.max", "200000 50000\n");
  }

  [[nodiscard]] std::string file(const std::string& rel) const {
    std::string text = host.read_file(rel);
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    return text;
  }
  [[nodiscard]] std::string latency(unsigned cpu) const {
    return file(std::string(kCpu) + "/cpu" + std::to_string(cpu) + "/power/pm_qos_resume_latency_us");
  }
  [[nodiscard]] std::string governor(unsigned policy) const {
    return file(std::string(kCpu) + "/cpufreq/policy" + std::to_string(policy) + "/scaling_governor");
  }

  // Plans and applies one container's tunings; returns what it holds.
  std::vector<TuningChange> take(const std::vector<Tuning>& tunings, const CpuSet& cpus, const CgroupPath& cg,
                                 const std::vector<TuningChange>& others = {}) {
    auto plan = tuner.plan(tunings, cpus, cg, others);
    EXPECT_TRUE(plan) << (plan ? "" : plan.error().message);
    if (!plan) {
      return {};
    }
    auto applied = tuner.apply(*plan, others);
    EXPECT_TRUE(applied) << (applied ? "" : applied.error().message);
    return applied ? applied->made : std::vector<TuningChange>{};
  }

  TempDir host;
  FakeKernelFiles files{host};
  TuningHost v2{.mode = CgroupMode::kV2, .cpu_mount = "/sys/fs/cgroup", .online = CpuSet::range(0, 3)};
  Tuner tuner{files, v2};
};

TEST_F(TunerTest, QuotaV2LiftsPodAndContainerKeepingEachPeriodAndRestoresThem) {
  auto held = take({{Knob::kCpuQuota, "disable"}}, CpuSet::of({2}), kC1);
  ASSERT_EQ(held.size(), 2U);
  EXPECT_EQ(held[0].file, "/sys/fs/cgroup/kubepods/pod1/cpu.max");  // the pod first
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/cpu.max"), "max 100000");
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/c1/cpu.max"), "max 100000");
  EXPECT_EQ(held[1].original, "200000 100000");
  const auto left = tuner.release(held, {});
  EXPECT_TRUE(left.left.empty());
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/cpu.max"), "400000 100000");
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/c1/cpu.max"), "200000 100000");
}

TEST_F(TunerTest, QuotaOfAPodIsSharedAndComesBackWithItsLastContainer) {
  auto first = take({{Knob::kCpuQuota, "disable"}}, CpuSet::of({2}), kC1);
  auto second = take({{Knob::kCpuQuota, "disable"}}, CpuSet::of({3}), kC2, first);
  ASSERT_EQ(second.size(), 2U);
  EXPECT_EQ(second[0].original, "400000 100000");  // the first holder's, not "max 100000"
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/c2/cpu.max"), "max 50000");
  EXPECT_TRUE(tuner.release(first, second).left.empty());
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/cpu.max"), "max 100000");  // c2 still holds the pod
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/c1/cpu.max"), "200000 100000");
  EXPECT_TRUE(tuner.release(second, {}).left.empty());
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/cpu.max"), "400000 100000");
}

// Under the systemd cgroup driver a daemon-reload re-applies each unit's
// CPUQuota: a runtime drop-in keeps the units saying "no quota", made
// before the file is written and removed once it is restored.
TEST_F(TunerTest, QuotaUnderSystemdAlsoTellsTheUnitsThroughDropIns) {
  const std::string pod = "kubepods.slice/kubepods-pod1.slice";
  host.write_file("sys/fs/cgroup/" + pod + "/cpu.max", "400000 100000\n");
  host.write_file("sys/fs/cgroup/" + pod + "/cri-containerd-c1.scope/cpu.max", "200000 100000\n");
  const auto cg = *CgroupPath::parse(pod + "/cri-containerd-c1.scope");
  auto plan = tuner.plan({{Knob::kCpuQuota, "disable"}}, CpuSet::of({2}), cg, {},
                         SystemdUnits{"kubepods-pod1.slice", "cri-containerd-c1.scope"});
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_TRUE(tuner.apply(*plan, {}));
  const auto held = *plan;
  ASSERT_EQ(held.size(), 4U);
  const std::string slice_dropin =
      "run/systemd/system.control/kubepods-pod1.slice.d/90-runc-isolcpus-cpu-quota.conf";
  const std::string scope_dropin =
      "run/systemd/system.control/cri-containerd-c1.scope.d/90-runc-isolcpus-cpu-quota.conf";
  EXPECT_NE(file(slice_dropin).find("[Slice]\nCPUQuota="), std::string::npos) << file(slice_dropin);
  EXPECT_NE(file(scope_dropin).find("[Scope]\nCPUQuota="), std::string::npos) << file(scope_dropin);
  EXPECT_EQ(held[0].file, "/" + slice_dropin);  // before the slice's file
  EXPECT_EQ(file("sys/fs/cgroup/" + pod + "/cri-containerd-c1.scope/cpu.max"), "max 100000");
  EXPECT_TRUE(tuner.enforce(held).empty());
  EXPECT_TRUE(tuner.release(held, {}).left.empty());
  EXPECT_FALSE(host.exists(slice_dropin));
  EXPECT_FALSE(host.exists(scope_dropin));
  EXPECT_EQ(file("sys/fs/cgroup/" + pod + "/cpu.max"), "400000 100000");
}

// A container's init moved into a cgroup of its own (systemd inside the
// container: <scope>/init.scope): no drop-in for a unit its spec does not name.
TEST_F(TunerTest, QuotaWritesNoDropInForAUnitTheSpecDoesNotName) {
  const std::string scope = "kubepods.slice/kubepods-pod1.slice/cri-containerd-c1.scope";
  host.write_file("sys/fs/cgroup/" + scope + "/init.scope/cpu.max", "max 100000\n");
  auto plan =
      tuner.plan({{Knob::kCpuQuota, "disable"}}, CpuSet::of({2}), *CgroupPath::parse(scope + "/init.scope"),
                 {}, SystemdUnits{"kubepods-pod1.slice", "cri-containerd-c1.scope"});
  ASSERT_TRUE(plan) << plan.error().message;
  for (const auto& c : *plan) {
    EXPECT_FALSE(c.file.starts_with("/run/systemd")) << c.file;
  }
}

// crun runs the workload in a subgroup of its scope and (1.8.1 on cgroup
// v2, seen in the systemd guest) writes the limit there: the pod's slice,
// the scope and the subgroup all lose it, outermost first.
TEST_F(TunerTest, QuotaUnderCrunLiftsItsSubgroupItsScopeAndThePod) {
  const std::string pod = "kubepods.slice/kubepods-podcrun1.slice";
  const std::string scope = pod + "/crio-c1.scope";
  host.write_file("sys/fs/cgroup/" + pod + "/cpu.max", "max 100000\n");
  host.write_file("sys/fs/cgroup/" + scope + "/cpu.max", "max 100000\n");
  host.write_file("sys/fs/cgroup/" + scope + "/payload/cpu.max", "200000 100000\n");
  auto plan =
      tuner.plan({{Knob::kCpuQuota, "disable"}}, CpuSet::of({2}), *CgroupPath::parse(scope + "/payload"), {},
                 SystemdUnits{"kubepods-podcrun1.slice", "crio-c1.scope"});
  ASSERT_TRUE(plan) << plan.error().message;
  std::vector<std::string> files_in_order;
  for (const auto& c : *plan) {
    files_in_order.push_back(c.file);
  }
  EXPECT_EQ(files_in_order,
            (std::vector<std::string>{
                "/run/systemd/system.control/kubepods-podcrun1.slice.d/90-runc-isolcpus-cpu-quota.conf",
                "/sys/fs/cgroup/" + pod + "/cpu.max",
                "/run/systemd/system.control/crio-c1.scope.d/90-runc-isolcpus-cpu-quota.conf",
                "/sys/fs/cgroup/" + scope + "/cpu.max", "/sys/fs/cgroup/" + scope + "/payload/cpu.max"}));
  ASSERT_TRUE(tuner.apply(*plan, {}));
  EXPECT_EQ(file("sys/fs/cgroup/" + scope + "/payload/cpu.max"), "max 100000");
  EXPECT_TRUE(tuner.release(*plan, {}).left.empty());
  EXPECT_EQ(file("sys/fs/cgroup/" + scope + "/payload/cpu.max"), "200000 100000");
}

TEST_F(TunerTest, QuotaUnderCrunWithoutACpuControllerInTheSubgroupTakesTheScope) {
  const std::string pod = "kubepods.slice/kubepods-podcrun1.slice";
  const std::string scope = pod + "/crio-c1.scope";
  host.write_file("sys/fs/cgroup/" + pod + "/cpu.max", "max 100000\n");
  host.write_file("sys/fs/cgroup/" + scope + "/cpu.max", "200000 100000\n");
  host.make_dirs("sys/fs/cgroup/" + scope + "/container");
  auto held = take({{Knob::kCpuQuota, "disable"}}, CpuSet::of({2}), *CgroupPath::parse(scope + "/container"));
  ASSERT_EQ(held.size(), 2U);  // no unit named by a spec: raw files only
  EXPECT_EQ(held[0].file, "/sys/fs/cgroup/" + pod + "/cpu.max");
  EXPECT_EQ(held[1].file, "/sys/fs/cgroup/" + scope + "/cpu.max");
  EXPECT_EQ(file("sys/fs/cgroup/" + scope + "/cpu.max"), "max 100000");
}

TEST_F(TunerTest, QuotaLeavesAParentThatIsNotAPodAlone) {
  host.write_file("sys/fs/cgroup/machine.slice/cpu.max", "100000 100000\n");
  host.write_file("sys/fs/cgroup/machine.slice/libpod-x.scope/cpu.max", "100000 100000\n");
  auto held = take({{Knob::kCpuQuota, "disable"}}, CpuSet::of({2}),
                   *CgroupPath::parse("machine.slice/libpod-x.scope"));
  ASSERT_EQ(held.size(), 1U);  // no spec named a unit: raw file only
  EXPECT_EQ(held[0].file, "/sys/fs/cgroup/machine.slice/libpod-x.scope/cpu.max");
  EXPECT_EQ(file("sys/fs/cgroup/machine.slice/cpu.max"), "100000 100000");
  EXPECT_FALSE(host.exists("run/systemd/system.control/machine.slice.d"));
}

TEST_F(TunerTest, QuotaV1WritesMinusOneUnderTheCpuHierarchy) {
  host.write_file("sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/cpu.cfs_quota_us", "400000\n");
  host.write_file("sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/c1/cpu.cfs_quota_us", "200000\n");
  Tuner v1(files,
           TuningHost{.mode = CgroupMode::kV1, .cpu_mount = "/sys/fs/cgroup/cpu,cpuacct", .online = {}});
  auto plan = v1.plan({{Knob::kCpuQuota, "disable"}}, CpuSet::of({2}), kC1, {});
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_TRUE(v1.apply(*plan, {}));
  EXPECT_EQ(file("sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/cpu.cfs_quota_us"), "-1");
  EXPECT_EQ(file("sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/c1/cpu.cfs_quota_us"), "-1");
  EXPECT_TRUE(v1.release(*plan, {}).left.empty());
  EXPECT_EQ(file("sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/cpu.cfs_quota_us"), "400000");
  EXPECT_EQ(file("sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/c1/cpu.cfs_quota_us"), "200000");
}

TEST_F(TunerTest, QuotaWithoutACpuControllerIsRefusedSayingSo) {
  Tuner none(files, TuningHost{.mode = CgroupMode::kV1, .cpu_mount = "", .online = {}});
  auto plan = none.plan({{Knob::kCpuQuota, "disable"}}, CpuSet::of({2}), kC1, {});
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("no cgroup hierarchy has the cpu controller"), std::string::npos);
  EXPECT_NE(none.unavailable(Knob::kCpuQuota, CpuSet::of({2})), "");
}

TEST_F(TunerTest, CStatesMapCrioValuesOntoTheKernelsAndComeBack) {
  for (const auto& [value, kernel] :
       {std::pair<std::string, std::string>{"disable", "n/a"}, {"enable", "0"}, {"max_latency:20", "20"}}) {
    host.write_file(std::string(kCpu) + "/cpu2/power/pm_qos_resume_latency_us", "10\n");
    auto held = take({{Knob::kCStates, value}}, CpuSet::of({2, 3}), kC1);
    ASSERT_EQ(held.size(), 2U) << value;
    EXPECT_EQ(latency(2), kernel) << value;
    EXPECT_EQ(latency(3), kernel) << value;
    EXPECT_EQ(latency(1), "0") << value;
    EXPECT_TRUE(tuner.release(held, {}).left.empty());
    EXPECT_EQ(latency(2), "10") << value;
    EXPECT_EQ(latency(3), "0") << value;
  }
}

TEST_F(TunerTest, CStatesOnACpuWithoutTheFileIsRefusedNamingIt) {
  std::filesystem::remove(host / (std::string(kCpu) + "/cpu3/power/pm_qos_resume_latency_us"));
  auto plan = tuner.plan({{Knob::kCStates, "disable"}}, CpuSet::of({2, 3}), kC1, {});
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("cpu3/power/pm_qos_resume_latency_us"), std::string::npos);
  EXPECT_NE(tuner.unavailable(Knob::kCStates, CpuSet::of({3})), "");
  EXPECT_EQ(tuner.unavailable(Knob::kCStates, CpuSet::of({2})), "");
}

TEST_F(TunerTest, GovernorIsRecordedOncePerPolicy) {
  auto held = take({{Knob::kGovernor, "performance"}}, CpuSet::of({1, 2, 3}), kC1);
  ASSERT_EQ(held.size(), 2U);
  EXPECT_EQ(held[1].file, "/sys/devices/system/cpu/cpufreq/policy2/scaling_governor");
  EXPECT_EQ(held[1].cpus, CpuSet::of({2, 3}));
  EXPECT_EQ(governor(1), "performance");
  EXPECT_EQ(governor(2), "performance");
  EXPECT_EQ(governor(0), "powersave");
  EXPECT_TRUE(tuner.release(held, {}).left.empty());
  EXPECT_EQ(governor(1), "powersave");
  EXPECT_EQ(governor(2), "powersave");
}

TEST_F(TunerTest, GovernorNotOfferedIsRefusedListingWhatIs) {
  auto plan = tuner.plan({{Knob::kGovernor, "schedutil"}}, CpuSet::of({1}), kC1, {});
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("offers the governors \"performance powersave\""), std::string::npos)
      << plan.error().message;
}

TEST_F(TunerTest, GovernorWithoutCpufreqIsRefused) {
  std::filesystem::remove(host / (std::string(kCpu) + "/cpu1/cpufreq"));
  auto plan = tuner.plan({{Knob::kGovernor, "performance"}}, CpuSet::of({1}), kC1, {});
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("has no cpufreq policy"), std::string::npos);
  EXPECT_NE(tuner.unavailable(Knob::kGovernor, CpuSet::of({1})), "");
}

TEST_F(TunerTest, ASharedPolicyCannotBeAskedTwoGovernors) {
  auto first = take({{Knob::kGovernor, "performance"}}, CpuSet::of({2}), kC1);
  auto plan = tuner.plan({{Knob::kGovernor, "powersave"}}, CpuSet::of({3}), kC2, first);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("held at \"performance\" by another container"), std::string::npos);
  auto same = take({{Knob::kGovernor, "performance"}}, CpuSet::of({3}), kC2, first);
  ASSERT_EQ(same.size(), 1U);
  EXPECT_EQ(same[0].original, "powersave");
  EXPECT_TRUE(tuner.release(first, same).left.empty());
  EXPECT_EQ(governor(2), "performance");
  EXPECT_TRUE(tuner.release(same, {}).left.empty());
  EXPECT_EQ(governor(2), "powersave");
}

TEST_F(TunerTest, AFailedWriteUndoesEveryEarlierOne) {
  files.refuse = [](std::string_view file, std::string_view value) -> std::optional<std::string> {
    if (file.find("policy1") != std::string_view::npos && value == "performance") {
      return "Device or resource busy";
    }
    return std::nullopt;
  };
  auto plan = tuner.plan(
      {{Knob::kCpuQuota, "disable"}, {Knob::kCStates, "disable"}, {Knob::kGovernor, "performance"}},
      CpuSet::of({0, 1}), kC1, {});
  ASSERT_TRUE(plan) << plan.error().message;
  auto applied = tuner.apply(*plan, {});
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message.find("Device or resource busy"), std::string::npos);
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/cpu.max"), "400000 100000");
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/c1/cpu.max"), "200000 100000");
  EXPECT_EQ(latency(0), "0");
  EXPECT_EQ(latency(1), "0");
  EXPECT_EQ(governor(0), "powersave");
  EXPECT_EQ(governor(1), "powersave");
}

TEST_F(TunerTest, AFailedRestoreIsKeptToRetryAndNamesTheFile) {
  auto held = take({{Knob::kCStates, "disable"}}, CpuSet::of({2, 3}), kC1);
  files.refuse = [](std::string_view file, std::string_view) -> std::optional<std::string> {
    return file.find("cpu3") != std::string_view::npos ? std::optional<std::string>("Input/output error")
                                                       : std::nullopt;
  };
  auto left = tuner.release(held, {});
  ASSERT_EQ(left.left.size(), 1U);
  EXPECT_NE(left.left[0].file.find("cpu3"), std::string::npos);
  ASSERT_EQ(left.problems.size(), 1U);
  EXPECT_NE(left.problems[0].find("cpu3/power/pm_qos_resume_latency_us"), std::string::npos);
  EXPECT_EQ(latency(2), "0");
  files.refuse = nullptr;
  EXPECT_TRUE(tuner.release(left.left, {}).left.empty());  // the retry
  EXPECT_EQ(latency(3), "0");
}

TEST_F(TunerTest, ReleaseLeavesAFileSomeoneElseChangedSince) {
  auto held = take({{Knob::kGovernor, "performance"}}, CpuSet::of({1}), kC1);
  host.write_file(std::string(kCpu) + "/cpufreq/policy1/scaling_governor", "userspace\n");
  EXPECT_TRUE(tuner.release(held, {}).left.empty());
  EXPECT_EQ(governor(1), "userspace");
}

TEST_F(TunerTest, ReleaseOfAGoneCgroupIsComplete) {
  auto held = take({{Knob::kCpuQuota, "disable"}}, CpuSet::of({2}), kC1);
  std::filesystem::remove_all(host / "sys/fs/cgroup/kubepods/pod1/c1");
  EXPECT_TRUE(tuner.release(held, {}).left.empty());
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/cpu.max"), "400000 100000");
}

TEST_F(TunerTest, ReleaseIsIdempotentAndSoIsAReleaseOfWhatWasNeverWritten) {
  auto plan = tuner.plan({{Knob::kCStates, "disable"}}, CpuSet::of({2}), kC1, {});
  ASSERT_TRUE(plan);
  files.writes.clear();
  EXPECT_TRUE(tuner.release(*plan, {}).left.empty());  // a crash before apply
  EXPECT_TRUE(files.writes.empty());
  ASSERT_TRUE(tuner.apply(*plan, {}));
  EXPECT_TRUE(tuner.release(*plan, {}).left.empty());
  files.writes.clear();
  EXPECT_TRUE(tuner.release(*plan, {}).left.empty());
  EXPECT_TRUE(files.writes.empty());
}

TEST_F(TunerTest, EnforceSetsBackWhatARuncUpdateOrSystemdUndid) {
  auto held = take({{Knob::kCpuQuota, "disable"}, {Knob::kCStates, "disable"}}, CpuSet::of({2}), kC1);
  EXPECT_TRUE(tuner.enforce(held).empty());
  host.write_file("sys/fs/cgroup/kubepods/pod1/c1/cpu.max", "200000 100000\n");
  const auto notes = tuner.enforce(held);
  ASSERT_EQ(notes.size(), 1U);
  EXPECT_NE(notes[0].find("c1/cpu.max read \"200000 100000\", set back to \"max 100000\""), std::string::npos)
      << notes[0];
  EXPECT_EQ(file("sys/fs/cgroup/kubepods/pod1/c1/cpu.max"), "max 100000");
}

TEST(KernelFiles, WritesOnlyUnderItsPrefixesAndNeverThroughALink) {
  TempDir host;
  host.write_file("sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us", "0\n");
  host.write_file("etc/shadow", "secret\n");
  std::filesystem::create_symlink(host / "etc/shadow", host / "sys/devices/system/cpu/cpu0/power/link");
  auto files = open_kernel_files(host.path(), {"/sys/devices/system/cpu/"});
  EXPECT_TRUE(files->write("/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us", "n/a"));
  for (const char* bad : {"/etc/shadow", "/sys/devices/system/cpu/../../../etc/shadow",
                          "sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us",
                          "/sys/devices/system/cpu/cpu0/power/link"}) {
    auto wrote = files->write(bad, "x");
    EXPECT_FALSE(wrote) << bad;
  }
  EXPECT_EQ(host.read_file("etc/shadow"), "secret\n");
  EXPECT_EQ(host.read_file("sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us"), "n/a");
}

class IrqTest : public TunerTest {
 protected:
  void SetUp() override {
    TunerTest::SetUp();
    host.write_file("proc/irq/default_smp_affinity", "f\n");
    for (const auto& [irq, mask] : {std::pair{1, "f"}, {4, "c"}, {9, "1"}, {24, "f"}}) {
      host.write_file("proc/irq/" + std::to_string(irq) + "/smp_affinity", std::string(mask) + "\n");
    }
    host.write_file("proc/irq/8/spurious", "count 0\n");  // an IRQ dir without smp_affinity
    for (unsigned cpu = 0; cpu < 4; ++cpu) {
      host.write_file(std::string(kCpu) + "/cpu" + std::to_string(cpu) + "/topology/thread_siblings_list",
                      cpu < 2 ? "0-1\n" : "2-3\n");
    }
  }
  [[nodiscard]] std::string irq(const std::string& n) const {
    return file("proc/irq/" + n + "/smp_affinity");
  }
};

TEST_F(IrqTest, TheContainersCpusLeaveEveryMaskAndComeBack) {
  auto held = take({{Knob::kIrqLoadBalancing, "disable"}}, CpuSet::of({2, 3}), kC1);
  EXPECT_EQ(file("proc/irq/default_smp_affinity"), "3");
  EXPECT_EQ(irq("1"), "3");
  EXPECT_EQ(irq("24"), "3");
  EXPECT_EQ(irq("4"), "3");  // only on CPUs 2-3: moved to the housekeeping CPUs, never emptied
  EXPECT_EQ(irq("9"), "1");  // off them already: not held
  EXPECT_EQ(held.size(), 4U);
  EXPECT_TRUE(tuner.release(held, {}).left.empty());
  EXPECT_EQ(file("proc/irq/default_smp_affinity"), "f");
  EXPECT_EQ(irq("1"), "f");
  EXPECT_EQ(irq("4"), "c");
  EXPECT_EQ(irq("9"), "1");
}

TEST_F(IrqTest, AManagedIrqIsLeftAloneAndReported) {
  files.refuse = [](std::string_view file, std::string_view) -> std::optional<std::string> {
    return file == "/proc/irq/24/smp_affinity" ? std::optional<std::string>("Input/output error")
                                               : std::nullopt;
  };
  auto plan = tuner.plan({{Knob::kIrqLoadBalancing, "disable"}}, CpuSet::of({3}), kC1, {});
  ASSERT_TRUE(plan);
  auto applied = tuner.apply(*plan, {});
  ASSERT_TRUE(applied) << applied.error().message;
  ASSERT_EQ(applied->notes.size(), 1U);
  EXPECT_NE(applied->notes[0].find("/proc/irq/24/smp_affinity"), std::string::npos) << applied->notes[0];
  EXPECT_EQ(irq("24"), "f");
  EXPECT_EQ(irq("1"), "7");
  // Recorded as taking no CPU, so reconcile does not try it again.
  const auto kept = std::find_if(applied->made.begin(), applied->made.end(),
                                 [](const TuningChange& c) { return c.file == "/proc/irq/24/smp_affinity"; });
  ASSERT_NE(kept, applied->made.end());
  EXPECT_TRUE(kept->cpus.empty());
  EXPECT_EQ(kept->written, kept->original);
  EXPECT_TRUE(tuner.enforce(applied->made).empty());
  files.writes.clear();
  EXPECT_TRUE(tuner.release(applied->made, {}).left.empty());
  EXPECT_TRUE(std::none_of(files.writes.begin(), files.writes.end(),
                           [](const std::string& w) { return w.starts_with("/proc/irq/24/"); }));
}

TEST_F(IrqTest, ARefusedDefaultMaskFailsTheTuningAndUndoesIt) {
  files.refuse = [](std::string_view file, std::string_view) -> std::optional<std::string> {
    return file == "/proc/irq/default_smp_affinity" ? std::optional<std::string>("Permission denied")
                                                    : std::nullopt;
  };
  auto plan = tuner.plan({{Knob::kIrqLoadBalancing, "disable"}}, CpuSet::of({3}), kC1, {});
  ASSERT_TRUE(plan);
  EXPECT_FALSE(tuner.apply(*plan, {}));
  EXPECT_EQ(irq("1"), "f");
}

TEST_F(IrqTest, TwoContainersCombineAndTheFirstToGoGivesBackOnlyItsOwn) {
  auto a = take({{Knob::kIrqLoadBalancing, "disable"}}, CpuSet::of({2}), kC1);
  auto b = take({{Knob::kIrqLoadBalancing, "disable"}}, CpuSet::of({3}), kC2, a);
  EXPECT_EQ(irq("1"), "3");
  EXPECT_EQ(irq("4"), "3");  // was "c": both gone, so the housekeeping CPUs
  EXPECT_TRUE(tuner.release(a, b).left.empty());
  EXPECT_EQ(irq("1"), "7");  // CPU 2 back, 3 still held
  EXPECT_EQ(irq("4"), "4");
  EXPECT_EQ(file("proc/irq/default_smp_affinity"), "7");
  EXPECT_TRUE(tuner.release(b, {}).left.empty());
  EXPECT_EQ(irq("1"), "f");
  EXPECT_EQ(irq("4"), "c");
}

TEST_F(IrqTest, AnIrqOffTheFirstContainersCpusIsStillHeldForTheSecond) {
  auto a = take({{Knob::kIrqLoadBalancing, "disable"}}, CpuSet::of({3}), kC1);
  host.write_file("proc/irq/9/smp_affinity", "4\n");  // moved to CPU 2 meanwhile
  auto b = take({{Knob::kIrqLoadBalancing, "disable"}}, CpuSet::of({2}), kC2, a);
  EXPECT_EQ(irq("9"), "3");
  EXPECT_TRUE(tuner.release(a, b).left.empty());
  EXPECT_EQ(irq("1"), "b");  // 0,1,3
  EXPECT_TRUE(tuner.release(b, {}).left.empty());
  EXPECT_EQ(irq("9"), "4");
}

TEST_F(IrqTest, HousekeepingKeepsTheFirstCpuAndItsSiblings) {
  host.write_file(std::string(kCpu) + "/cpu2/topology/thread_siblings_list", "2\n");
  auto held = take({{Knob::kIrqLoadBalancing, "housekeeping"}}, CpuSet::of({2, 3}), kC1);
  EXPECT_EQ(irq("1"), "7");
  ASSERT_FALSE(held.empty());
  EXPECT_EQ(held[0].cpus, CpuSet::of({3}));
  host.write_file(std::string(kCpu) + "/cpu2/topology/thread_siblings_list", "2-3\n");
  auto both = tuner.plan({{Knob::kIrqLoadBalancing, "housekeeping"}}, CpuSet::of({2, 3}), kC2, held);
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->empty());  // siblings 2-3 keep their IRQs: nothing to take out
}

TEST_F(IrqTest, MasksKeepTheKernelsLayout) {
  host.write_file("proc/irq/1/smp_affinity", "00000000,0000000f\n");
  auto held = take({{Knob::kIrqLoadBalancing, "disable"}}, CpuSet::of({2, 3}), kC1);
  EXPECT_EQ(irq("1"), "00000000,00000003");
  EXPECT_TRUE(tuner.enforce(held).empty());  // reads back exactly what was written
}
// irqbalance places IRQs over the CPUs it does not ban: a mask it changed
// within them is left to it; one it put back on a held CPU is fought.
TEST_F(IrqTest, EnforceFightsOnlyAMaskBackOnAHeldCpu) {
  auto held = take({{Knob::kIrqLoadBalancing, "disable"}}, CpuSet::of({2, 3}), kC1);
  host.write_file("proc/irq/1/smp_affinity", "2\n");  // irqbalance: CPU 1 alone
  EXPECT_TRUE(tuner.enforce(held).empty());
  EXPECT_EQ(irq("1"), "2");
  host.write_file("proc/irq/1/smp_affinity", "4\n");  // a stale ban: CPU 2
  const auto notes = tuner.enforce(held);
  ASSERT_EQ(notes.size(), 1U);
  EXPECT_EQ(irq("1"), "3");
}

TEST_F(IrqTest, EnforceSaysOneLinePerKnob) {
  auto held = take({{Knob::kIrqLoadBalancing, "disable"}}, CpuSet::of({2, 3}), kC1);
  for (const char* f : {"1/smp_affinity", "4/smp_affinity", "24/smp_affinity", "default_smp_affinity"}) {
    host.write_file(std::string("proc/irq/") + f, "f\n");  // an untold irqbalance, an operator
  }
  const auto notes = tuner.enforce(held);
  ASSERT_EQ(notes.size(), 1U);
  EXPECT_NE(notes[0].find("irq-load-balancing: /proc/irq/1/smp_affinity read \"f\", set back to \"3\""),
            std::string::npos)
      << notes[0];
  EXPECT_NE(notes[0].find("; and 1 more"), std::string::npos) << notes[0];
  EXPECT_EQ(irq("24"), "3");
}

}  // namespace
}  // namespace isolcpus
