#include "isolcpus/isolator.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

HostFacts host(CgroupMode mode, const char* release) {
  HostFacts facts;
  facts.mode = mode;
  facts.kernel = *parse_kernel_release(release);
  facts.online = CpuSet::range(0, 3);
  return facts;
}

class MakeIsolator : public ::testing::Test {
 protected:
  TempDir dir;
  std::unique_ptr<CgroupTree> tree = open_cgroup_tree(dir.path());
};

TEST_F(MakeIsolator, V1HierarchyGetsTheSchedLoadBalanceIsolator) {
  auto isolator = make_isolator(host(CgroupMode::kV1, "6.1.0-28-amd64"), *tree);
  ASSERT_TRUE(isolator) << isolator.error().message;
  EXPECT_EQ((*isolator)->name(), kIsolatorV1);
}

TEST_F(MakeIsolator, V1IsChosenWhateverTheKernel) {
  auto isolator = make_isolator(host(CgroupMode::kV1, "6.18.44-fc-v669"), *tree);
  ASSERT_TRUE(isolator) << isolator.error().message;
  EXPECT_EQ((*isolator)->name(), kIsolatorV1);
}

TEST_F(MakeIsolator, V2From6Point7GetsRemotePartitions) {
  for (const char* release : {"6.7.0", "6.12.9+bpo-amd64", "7.0"}) {
    auto isolator = make_isolator(host(CgroupMode::kV2, release), *tree);
    ASSERT_TRUE(isolator) << release << ": " << isolator.error().message;
    EXPECT_EQ((*isolator)->name(), kIsolatorV2) << release;
  }
}

TEST_F(MakeIsolator, V2BeforeRemotePartitionsIsRefusedWithTheWayOut) {
  for (const char* release : {"6.1.0-28-amd64", "6.6.30", "5.10.0-30-amd64"}) {
    auto isolator = make_isolator(host(CgroupMode::kV2, release), *tree);
    ASSERT_FALSE(isolator) << release;
    const auto& message = isolator.error().message;
    EXPECT_NE(message.find(std::string("kernel ") + release), std::string::npos) << message;
    EXPECT_NE(message.find("cpuset.cpus.exclusive"), std::string::npos) << message;
    EXPECT_NE(message.find("6.7+"), std::string::npos) << message;
    EXPECT_NE(message.find("systemd.unified_cgroup_hierarchy=0"), std::string::npos) << message;
  }
}

TEST_F(MakeIsolator, NoCpusetControllerIsRefusedSayingWhatToMount) {
  auto isolator = make_isolator(host(CgroupMode::kNone, "6.12.9"), *tree);
  ASSERT_FALSE(isolator);
  const auto& message = isolator.error().message;
  EXPECT_NE(message.find("no cpuset cgroup controller is mounted"), std::string::npos) << message;
  EXPECT_NE(message.find("mount -t cgroup -o cpuset"), std::string::npos) << message;
  EXPECT_NE(message.find("+cpuset"), std::string::npos) << message;
}

}  // namespace
}  // namespace isolcpus
