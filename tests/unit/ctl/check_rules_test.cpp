#include "../../../src/ctl/check_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace isolcpus {
namespace {

CheckFacts healthy_v1() {
  CheckFacts f;
  f.config_path = "/etc/runc-isolcpus/config.toml";
  f.config_found = true;
  f.host.mode = CgroupMode::kV1;
  f.host.cpuset_mount = "/sys/fs/cgroup/cpuset";
  f.host.kernel = {5, 15, "5.15.0"};
  f.host.online = CpuSet::range(0, 7);
  f.cpuset.v1_root_flag = false;
  f.cpuset.v1_root_flag_file = "/sys/fs/cgroup/cpuset/cpuset.sched_load_balance";
  f.cpuset.kubepods = "/sys/fs/cgroup/cpuset/kubepods";
  f.runtime = "/usr/sbin/runc";
  f.state_dir = {true, true, 0, 0700};
  return f;
}

CheckFacts healthy_v2() {
  CheckFacts f = healthy_v1();
  f.host.mode = CgroupMode::kV2;
  f.host.cpuset_mount = "/sys/fs/cgroup";
  f.host.kernel = {6, 8, "6.8.0"};
  f.cpuset.v1_root_flag.reset();
  f.cpuset.v2_exclusive_file = f.cpuset.v2_partition_file = f.cpuset.v2_root_isolated_file = true;
  f.cpuset.delegation = {{"/sys/fs/cgroup/cgroup.subtree_control", "cpuset cpu io memory pids"},
                         {"/sys/fs/cgroup/kubepods.slice/cgroup.subtree_control", "cpuset cpu memory"}};
  return f;
}

const Finding* find(const std::vector<Finding>& fs, Severity s, std::string_view needle) {
  auto it = std::find_if(fs.begin(), fs.end(), [&](const Finding& f) {
    return f.severity == s && f.what.find(needle) != std::string::npos;
  });
  return it == fs.end() ? nullptr : &*it;
}

TEST(CheckRules, HealthyNodesPass) {
  EXPECT_FALSE(blocks_isolation(evaluate_checks(healthy_v1())));
  EXPECT_FALSE(blocks_isolation(evaluate_checks(healthy_v2())));
}

TEST(CheckRules, LedgerProblemsBlockAndAreNamed) {
  CheckFacts f = healthy_v1();
  f.ledger_problems = {"container c1: the release of CPUs 3 is incomplete"};
  const auto fs = evaluate_checks(f);
  EXPECT_NE(find(fs, Severity::kError, "release of CPUs 3 is incomplete"), nullptr);
  EXPECT_TRUE(blocks_isolation(fs));
}

TEST(CheckRules, V1RootFlagLockedByConfigBlocks) {
  CheckFacts f = healthy_v1();
  f.cpuset.v1_root_flag = true;
  f.config.v1_manage_root_flag = false;
  const auto fs = evaluate_checks(f);
  const Finding* x = find(fs, Severity::kError, "v1_manage_root_flag = false");
  ASSERT_NE(x, nullptr);
  EXPECT_NE(x->fix.find("v1_manage_root_flag = true"), std::string::npos);
  f.config.v1_manage_root_flag = true;
  EXPECT_FALSE(blocks_isolation(evaluate_checks(f)));
}

TEST(CheckRules, V2OldKernelBlocks) {
  CheckFacts f = healthy_v2();
  f.host.kernel = {6, 6, "6.6.30"};
  const auto fs = evaluate_checks(f);
  const Finding* x = find(fs, Severity::kError, "6.6.30");
  ASSERT_NE(x, nullptr);
  EXPECT_NE(x->fix.find("6.7"), std::string::npos);
}

TEST(CheckRules, V2MissingDelegationBlocksAndSaysHow) {
  CheckFacts f = healthy_v2();
  f.cpuset.delegation[1] = {"/sys/fs/cgroup/kubepods/cgroup.subtree_control", "cpu memory"};
  const auto fs = evaluate_checks(f);
  const Finding* x = find(fs, Severity::kError, "kubepods/cgroup.subtree_control does not enable cpuset");
  ASSERT_NE(x, nullptr);
  EXPECT_NE(x->fix.find("echo +cpuset >"), std::string::npos);
}

// systemd enables cpuset in a slice only while a unit below sets
// AllowedCPUs: an idle systemd node reads no cpuset there (systemd guest).
TEST(CheckRules, V2SliceWithoutCpusetIsInformationNotAnError) {
  CheckFacts f = healthy_v2();
  f.cpuset.delegation[1].subtree_control = "memory hugetlb pids rdma misc";
  const auto fs = evaluate_checks(f);
  EXPECT_EQ(find(fs, Severity::kError, "kubepods.slice"), nullptr);
  const Finding* x =
      find(fs, Severity::kInfo, "kubepods.slice/cgroup.subtree_control does not enable cpuset now");
  ASSERT_NE(x, nullptr);
  EXPECT_NE(x->what.find("AllowedCPUs"), std::string::npos);
}

TEST(CheckRules, V2MissingPartitionFiles) {
  CheckFacts f = healthy_v2();
  f.cpuset.v2_exclusive_file = false;
  EXPECT_NE(find(evaluate_checks(f), Severity::kError, "cpuset.cpus.exclusive"), nullptr);
}

TEST(CheckRules, ConfigProblemsBlock) {
  CheckFacts f = healthy_v1();
  f.config_problems = {"/etc/x.toml:2: unknown key 'mdoe'"};
  EXPECT_NE(find(evaluate_checks(f), Severity::kError, "unknown key 'mdoe'"), nullptr);
}

TEST(CheckRules, MissingRuntimeBlocks) {
  CheckFacts f = healthy_v1();
  f.runtime.reset();
  f.runtime_error = "no runc found in /usr/local/sbin, ...";
  const auto fs = evaluate_checks(f);
  const Finding* x = find(fs, Severity::kError, "no runc found");
  ASSERT_NE(x, nullptr);
  EXPECT_NE(x->fix.find("runtime ="), std::string::npos);
}

TEST(CheckRules, StateDirOwnershipAndMode) {
  CheckFacts f = healthy_v1();
  f.config.state_dir = "/run/runc-isolcpus";
  f.state_dir.mode = 0755;
  const auto fs = evaluate_checks(f);
  const Finding* x = find(fs, Severity::kError, "mode 0755");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->fix, "chown root:root /run/runc-isolcpus && chmod 0700 /run/runc-isolcpus");
  f.state_dir = {false, false, 0, 0};
  EXPECT_FALSE(blocks_isolation(evaluate_checks(f)));
  f.state_dir = {true, false, 0, 0700};
  EXPECT_NE(find(evaluate_checks(f), Severity::kError, "not a directory"), nullptr);
}

TEST(CheckRules, TooFewCpus) {
  CheckFacts f = healthy_v1();
  f.host.online = CpuSet::range(0, 1);  // default min_housekeeping_cpus = 2
  EXPECT_NE(find(evaluate_checks(f), Severity::kError, "no CPU can ever be isolated"), nullptr);
  f.config.min_housekeeping_cpus = 1;
  EXPECT_FALSE(blocks_isolation(evaluate_checks(f)));
}

TEST(CheckRules, NoCpusetAtAll) {
  CheckFacts f = healthy_v1();
  f.host.mode = CgroupMode::kNone;
  EXPECT_TRUE(blocks_isolation(evaluate_checks(f)));
}

TEST(CheckRules, RenderText) {
  CheckFacts f = healthy_v1();
  f.runtime.reset();
  f.runtime_error = "no runc";
  const std::string text = render_findings_text(evaluate_checks(f));
  EXPECT_NE(text.find("[FAIL] runtime: no runc\n       fix: "), std::string::npos);
  EXPECT_NE(text.find("[ OK ] cgroup: cgroup v1 cpuset at /sys/fs/cgroup/cpuset"), std::string::npos);
  EXPECT_NE(text.find("summary: 1 blocking"), std::string::npos);
  const auto doc = nlohmann::json::parse(render_findings_json(evaluate_checks(f)));
  EXPECT_TRUE(doc["blocking"].get<bool>());
  EXPECT_GT(doc["findings"].size(), 3U);
}

}  // namespace
}  // namespace isolcpus
