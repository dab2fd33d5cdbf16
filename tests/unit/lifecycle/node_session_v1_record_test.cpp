// The v1 node record after a failed isolation: it must name every node-wide
// change the kernel keeps (found by review: putting back the record from
// before the plan dropped a balanced cpuset release() had made again, and a
// flag restore_node() could not put back).
#include <gtest/gtest.h>

#include "fakes/fake_cgroup_v1.hpp"
#include "fakes/temp_dir.hpp"
#include "isolcpus/config.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/node_session.hpp"

namespace isolcpus {
namespace {

class V1RecordAfterFailedApply : public ::testing::Test {
 protected:
  void SetUp() override {
    fake = std::make_unique<FakeCgroupV1>(host / "cpuset");
    // Containers in top-level cpusets (runc's default cgroup /<id>); the
    // operator's /sys and /other keep the housekeeping CPUs balanced while
    // only c1 is isolated, so the first isolation needs no balanced cpuset.
    fake->root("0-7").add("sys", "0-1").add("c1", "2-3").add("other", "4-7").add("c2", "4-5");
    facts.mode = CgroupMode::kV1;
    facts.cpuset_mount = host / "cpuset";
    facts.kernel = KernelVersion{6, 1, "6.1.0-28-amd64"};
    facts.online = CpuSet::range(0, 7);
    host.make_dirs("proc");
    config.host_root = host.path().string();
    config.state_dir = (host / "state").string();
    config.log_level = "off";
    config.min_housekeeping_cpus = 2;
    seams.host = &facts;
    seams.tree = fake.get();
    initial = fake->snapshot();
    seed("c1", "2-3");
    seed("c2", "4-5");
  }

  void seed(const std::string& id, const std::string& cpus) {
    auto ledger = Ledger::open(config.state_dir, config.lock_timeout);
    ASSERT_TRUE(ledger);
    LedgerEntry e;
    e.runc_root = "/run/runc";
    e.container_id = id;
    e.cpus = *CpuSet::parse(cpus);
    e.cgroups_path = "/" + id;
    ledger->data().entries.push_back(e);
    ASSERT_TRUE(ledger->commit());
  }

  TempDir host;
  std::unique_ptr<FakeCgroupV1> fake;
  HostFacts facts;
  Config config;
  Log log;
  Seams seams;
  std::map<std::string, std::string> initial;
};

TEST_F(V1RecordAfterFailedApply, BesideAnotherIsolationLeavesNoUnrecordedBalancedCpuset) {
  {
    NodeSession node(config, log, seams);
    ASSERT_TRUE(node.isolate("/run/runc", "c1", *CgroupPath::parse("/c1")));
    ASSERT_TRUE((*node.ledger())->data().v1.balanced_cgroup.empty());
  }
  {
    NodeSession node(config, log, seams);
    // c2's plan needs the balanced cpuset (/other now overlaps isolated CPUs):
    // mkdir, mems, cpus, flag, then c2's flag: the 5th mutation fails.
    fake->fail_operation(5);
    auto ok = node.isolate("/run/runc", "c2", *CgroupPath::parse("/c2"));
    fake->fail_operation(0);
    ASSERT_FALSE(ok);
    const auto& v1 = (*node.ledger())->data().v1;
    EXPECT_EQ(fake->dir_exists("runc-isolcpus.balanced"), !v1.balanced_cgroup.empty())
        << "kernel and ledger disagree on the balanced cpuset after a failed apply";
  }
  {
    NodeSession node(config, log, seams);
    ASSERT_TRUE(node.release("/run/runc", "c2"));
    ASSERT_TRUE(node.release("/run/runc", "c1"));
    (void)node.reconcile();
  }
  EXPECT_EQ(fake->snapshot(), initial) << "the node is not back where it started once nothing is isolated";
  EXPECT_FALSE(fake->dir_exists("runc-isolcpus.balanced"));
}

// A v1 tree whose writes of "1" into one cpuset's flag fail (EIO) while
// `broken` is set, and whose root flag write fails once: two faults in one
// failed isolation (the apply's, and its rollback's).
class FlakyTree final : public CgroupTree {
 public:
  explicit FlakyTree(FakeCgroupV1& inner) : inner_(inner) {}
  bool broken = true;
  bool root_fails_once = true;
  std::string broken_cg = "kubepods";
  [[nodiscard]] Expected<std::string> read(const CgroupPath& cg, std::string_view file) const override {
    return inner_.read(cg, file);
  }
  Expected<void> write(const CgroupPath& cg, std::string_view file, std::string_view value) override {
    if (file == "cpuset.sched_load_balance") {
      if (cg.is_root() && value == "0" && root_fails_once) {
        root_fails_once = false;
        return make_error("EIO (injected) on the root flag");
      }
      if (broken && cg.str() == broken_cg && value == "1") {
        return make_error("EIO (injected) on " + broken_cg);
      }
    }
    return inner_.write(cg, file, value);
  }
  [[nodiscard]] bool exists(const CgroupPath& cg) const override { return inner_.exists(cg); }
  [[nodiscard]] bool has_file(const CgroupPath& cg, std::string_view f) const override {
    return inner_.has_file(cg, f);
  }
  Expected<void> make(const CgroupPath& cg) override { return inner_.make(cg); }
  Expected<void> remove(const CgroupPath& cg) override { return inner_.remove(cg); }
  [[nodiscard]] std::vector<CgroupPath> children(const CgroupPath& cg) const override {
    return inner_.children(cg);
  }
  [[nodiscard]] std::string describe(const CgroupPath& cg, std::string_view f) const override {
    return inner_.describe(cg, f);
  }

 private:
  FakeCgroupV1& inner_;
};

TEST(V1RecordAfterFailedRollback, ARestoreThatFailsStaysInTheNodeRecordAndIsRetried) {
  TempDir host;
  FakeCgroupV1 fake(host / "cpuset");
  fake.root("0-3")
      .add("sys", "0-1")
      .add("kubepods", "0-3")
      .add("kubepods/pod1", "0-3")
      .add("kubepods/pod1/c1", "2-3");
  const auto initial = fake.snapshot();
  FlakyTree tree(fake);
  HostFacts facts;
  facts.mode = CgroupMode::kV1;
  facts.cpuset_mount = host / "cpuset";
  facts.kernel = KernelVersion{6, 1, "6.1.0-28-amd64"};
  facts.online = CpuSet::range(0, 3);
  host.make_dirs("proc");
  Config config;
  config.host_root = host.path().string();
  config.state_dir = (host / "state").string();
  config.log_level = "off";
  config.min_housekeeping_cpus = 1;
  config.v1_manage_root_flag = true;
  Log log;
  Seams seams;
  seams.host = &facts;
  seams.tree = &tree;
  {
    auto ledger = Ledger::open(config.state_dir, config.lock_timeout);
    ASSERT_TRUE(ledger);
    LedgerEntry e;
    e.runc_root = "/run/runc";
    e.container_id = "c1";
    e.cpus = *CpuSet::parse("2-3");
    ledger->data().entries.push_back(e);
    ASSERT_TRUE(ledger->commit());
  }
  {
    NodeSession node(config, log, seams);
    auto ok = node.isolate("/run/runc", "c1", *CgroupPath::parse("/kubepods/pod1/c1"));
    ASSERT_FALSE(ok);  // the root flag write failed; the rollback of kubepods' flag too
  }
  const auto after = read_ledger_snapshot(config.state_dir);
  ASSERT_TRUE(after);
  EXPECT_EQ(fake.file("kubepods", "cpuset.sched_load_balance"), "0");
  EXPECT_FALSE(after->v1.flag_changes.empty())
      << "kubepods' flag is still 0 in the kernel, but the node record no longer names it";
  // The kernel lets go again; every later call (reconcile) must put it back.
  tree.broken = false;
  {
    NodeSession node(config, log, seams);
    (void)node.reconcile();
  }
  EXPECT_EQ(fake.file("kubepods", "cpuset.sched_load_balance"), "1")
      << "nothing ever retries: the operator's cpuset keeps flag 0 for good";
  EXPECT_EQ(fake.snapshot(), initial);
}

}  // namespace
}  // namespace isolcpus
