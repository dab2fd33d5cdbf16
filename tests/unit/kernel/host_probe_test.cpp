#include "isolcpus/host_probe.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "fakes/temp_dir.hpp"

namespace isolcpus {

// Readable CPU lists in assertion failures (internal linkage: other test
// files of this binary may print CpuSet their own way).
static void PrintTo(const CpuSet& cpus, std::ostream* os) { *os << '"' << cpus.to_string() << '"'; }

namespace {

// ---- parse_kernel_release -------------------------------------------------

TEST(ParseKernelRelease, DebianBackportsRelease) {
  auto v = parse_kernel_release("6.12.9+bpo-amd64");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->major, 6U);
  EXPECT_EQ(v->minor, 12U);
  EXPECT_EQ(v->release, "6.12.9+bpo-amd64");
}

TEST(ParseKernelRelease, DebianStableReleaseWithNewline) {
  auto v = parse_kernel_release("6.1.0-28-amd64\n");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->major, 6U);
  EXPECT_EQ(v->minor, 1U);
  EXPECT_EQ(v->release, "6.1.0-28-amd64");
}

TEST(ParseKernelRelease, MajorMinorOnly) {
  auto v = parse_kernel_release("5.10");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->major, 5U);
  EXPECT_EQ(v->minor, 10U);
}

TEST(ParseKernelRelease, RejectsJunk) {
  for (const char* bad : {"", "\n", "linux", "6", "6.", "6-1", ".1", "x.1", "6.x"}) {
    auto v = parse_kernel_release(bad);
    ASSERT_FALSE(v) << "accepted \"" << bad << "\"";
    EXPECT_NE(v.error().message.find("uname -r"), std::string::npos) << v.error().message;
  }
}

TEST(ParseKernelRelease, OrdersByMajorThenMinor) {
  const auto v = [](const char* text) { return *parse_kernel_release(text); };
  EXPECT_LT(v("6.1.0-28-amd64"), v("6.7"));
  EXPECT_GE(v("6.7.0"), v("6.7"));
  EXPECT_GT(v("6.12.9+bpo-amd64"), v("6.7"));
  EXPECT_LT(v("5.19"), v("6.0"));
  EXPECT_EQ(v("6.7.1"), v("6.7.5-rt"));
}

// ---- probe_host on fake trees ---------------------------------------------

// A host root with the CPU files and the kernel release in place.
class ProbeHost : public ::testing::Test {
 protected:
  void SetUp() override {
    root.write_file("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    root.write_file("sys/devices/system/cpu/online", "0-3\n");
  }

  TempDir root;
};

constexpr const char* kHybridMountinfo =
    "23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime shared:12 master:3 - cgroup cgroup rw,cpuset\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST_F(ProbeHost, HybridHostWithCpusetOnV1IsV1EvenWithACgroup2Mount) {
  root.write_file("proc/self/mountinfo", kHybridMountinfo);
  root.write_file("sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
  root.write_file("sys/fs/cgroup/cpuset/cpuset.cpus", "0-3\n");
  auto host = probe_host(root.path());
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ(host->mode, CgroupMode::kV1);
  EXPECT_EQ(host->cpuset_mount, root / "sys/fs/cgroup/cpuset");
  EXPECT_EQ(host->kernel.major, 6U);
  EXPECT_EQ(host->kernel.minor, 1U);
  EXPECT_EQ(host->online, CpuSet::range(0, 3));
  EXPECT_TRUE(host->boot_isolated.empty());
}

TEST_F(ProbeHost, Cgroup2MountListingCpusetIsV2) {
  root.write_file("proc/self/mountinfo",
                  "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
                  "rw,nsdelegate,memory_recursiveprot\n");
  root.write_file("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  root.write_file("proc/sys/kernel/osrelease", "6.12.9+bpo-amd64\n");
  auto host = probe_host(root.path());
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ(host->mode, CgroupMode::kV2);
  EXPECT_EQ(host->cpuset_mount, root / "sys/fs/cgroup");
  EXPECT_EQ(host->kernel.minor, 12U);
}

TEST_F(ProbeHost, Cgroup2WithoutCpusetAndNoV1CpusetIsNone) {
  root.write_file("proc/self/mountinfo",
                  "30 23 0:26 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n"
                  "32 30 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu,cpuacct\n");
  root.write_file("sys/fs/cgroup/cgroup.controllers", "cpu io memory\n");
  // A cpuset-looking directory that is not mounted must not count.
  root.write_file("sys/fs/cgroup/cpuset/cpuset.cpus", "0-3\n");
  auto host = probe_host(root.path());
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ(host->mode, CgroupMode::kNone);
}

TEST_F(ProbeHost, CpusetControllerNameMustMatchWholeOption) {
  root.write_file("proc/self/mountinfo", "32 30 0:29 / /sys/fs/cgroup/x rw - cgroup cgroup rw,notcpuset\n");
  auto host = probe_host(root.path());
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ(host->mode, CgroupMode::kNone);
}

TEST_F(ProbeHost, V1CpusetSharingAHierarchyAndAnEscapedMountPoint) {
  root.write_file("proc/self/mountinfo",
                  "34 31 0:31 / /sys/fs/cgroup/cpu\\040set rw,relatime - cgroup none rw,cpu,cpuset,memory\n");
  auto host = probe_host(root.path());
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ(host->mode, CgroupMode::kV1);
  EXPECT_EQ(host->cpuset_mount, root / "sys/fs/cgroup/cpu set");
}

TEST_F(ProbeHost, WithoutMountinfoRecognisesTheV2Layout) {
  root.write_file("sys/fs/cgroup/cgroup.controllers", "cpuset cpu memory\n");
  auto host = probe_host(root.path());
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ(host->mode, CgroupMode::kV2);
  EXPECT_EQ(host->cpuset_mount, root / "sys/fs/cgroup");
}

TEST_F(ProbeHost, WithoutMountinfoRecognisesTheV1Layout) {
  root.write_file("sys/fs/cgroup/cgroup.controllers", "memory\n");
  root.write_file("sys/fs/cgroup/cpuset/cpuset.cpus", "0-3\n");
  auto host = probe_host(root.path());
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ(host->mode, CgroupMode::kV1);
  EXPECT_EQ(host->cpuset_mount, root / "sys/fs/cgroup/cpuset");
}

TEST_F(ProbeHost, WithoutMountinfoOrCpusetIsNone) {
  auto host = probe_host(root.path());
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ(host->mode, CgroupMode::kNone);
  EXPECT_TRUE(host->cpuset_mount.empty());
}

TEST_F(ProbeHost, BootIsolatedCpus) {
  root.write_file("sys/devices/system/cpu/online", "0-7\n");
  root.write_file("sys/devices/system/cpu/isolated", "6-7\n");
  auto host = probe_host(root.path());
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ(host->online, CpuSet::range(0, 7));
  EXPECT_EQ(host->boot_isolated, CpuSet::range(6, 7));
}

TEST_F(ProbeHost, EmptyIsolatedFileMeansNone) {
  root.write_file("sys/devices/system/cpu/isolated", "\n");
  auto host = probe_host(root.path());
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_TRUE(host->boot_isolated.empty());
}

TEST_F(ProbeHost, MissingOsreleaseIsAnErrorNamingTheFile) {
  std::filesystem::remove(root / "proc/sys/kernel/osrelease");
  auto host = probe_host(root.path());
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().message.find((root / "proc/sys/kernel/osrelease").string()), std::string::npos)
      << host.error().message;
}

TEST_F(ProbeHost, BadOsreleaseIsAnErrorNamingTheFile) {
  root.write_file("proc/sys/kernel/osrelease", "garbage\n");
  auto host = probe_host(root.path());
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().message.find("osrelease"), std::string::npos) << host.error().message;
  EXPECT_NE(host.error().message.find("garbage"), std::string::npos) << host.error().message;
}

TEST_F(ProbeHost, MissingOnlineIsAnErrorNamingTheFile) {
  std::filesystem::remove(root / "sys/devices/system/cpu/online");
  auto host = probe_host(root.path());
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().message.find((root / "sys/devices/system/cpu/online").string()), std::string::npos)
      << host.error().message;
}

TEST_F(ProbeHost, UnparsableOnlineIsAnErrorQuotingIt) {
  root.write_file("sys/devices/system/cpu/online", "3-1\n");
  auto host = probe_host(root.path());
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().message.find("\"3-1\""), std::string::npos) << host.error().message;
}

// ---- this machine ---------------------------------------------------------

// shared/docs/MACHINE.md: the development and CI machines are hybrid, with
// cpuset on a v1 hierarchy at /sys/fs/cgroup/cpuset and a cgroup2 mount at
// /sys/fs/cgroup/unified carrying only hugetlb.
TEST(ProbeRealHost, ThisMachineIsCpusetOnV1) {
  auto host = probe_host("/");
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ(host->mode, CgroupMode::kV1);
  EXPECT_EQ(host->cpuset_mount, std::filesystem::path("/sys/fs/cgroup/cpuset"));
  EXPECT_GT(host->kernel.major, 0U);
  EXPECT_FALSE(host->kernel.release.empty());
  EXPECT_GE(host->online.count(), 1U);
  EXPECT_TRUE(host->online.contains(0));
}

// nr_cpu_ids: "N" and "all" in a CPU list written to a cpuset.
TEST(PossibleCpuCount, IsTheHighestPossibleCpuPlusOne) {
  TempDir root;
  root.write_file("sys/devices/system/cpu/possible", "0-7\n");
  EXPECT_EQ(possible_cpu_count(root.path()).value(), 8U);
  root.write_file("sys/devices/system/cpu/possible", "0,2\n");
  EXPECT_EQ(possible_cpu_count(root.path()).value(), 3U);
}

TEST(PossibleCpuCount, MissingFileIsAnErrorNamingIt) {
  TempDir root;
  auto count = possible_cpu_count(root.path());
  ASSERT_FALSE(count);
  EXPECT_NE(count.error().message.find("sys/devices/system/cpu/possible"), std::string::npos);
}

}  // namespace
}  // namespace isolcpus
