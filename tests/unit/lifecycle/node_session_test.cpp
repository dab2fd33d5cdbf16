// NodeSession and handle_call against a fake host: a temp-dir host_root with
// proc/, sys/devices/system/cpu/online and a cgroup v1 cpuset tree of plain
// files (the real CgroupTree writes them like kernel files).
#include "isolcpus/node_session.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/temp_dir.hpp"
#include "isolcpus/config.hpp"
#include "isolcpus/dispatch.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/parse_invocation.hpp"

namespace isolcpus {
namespace {

constexpr const char* kCpuset = "sys/fs/cgroup/cpuset";
constexpr const char* kContainer = "kubepods/pod1/c1";
constexpr const char* kId = "c1";

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class NodeSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host.write_file("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    host.write_file(
        "proc/self/mountinfo",
        "30 25 0:26 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup "
        "rw,cpuset\n");
    host.write_file("sys/devices/system/cpu/online", "0-3\n");
    host.write_file("sys/devices/system/cpu/possible", "0-3\n");
    // "system" keeps the housekeeping CPUs balanced on its own, so no
    // balanced cpuset (a mkdir the plain-file tree cannot populate) is needed.
    cpuset("", "0-3", true);
    cpuset("system", "0-1", true);
    cpuset("kubepods", "0-3", true);
    cpuset("kubepods/pod1", "0-3", true);
    cpuset(kContainer, "2-3", true);
    config.host_root = host.path().string();
    config.state_dir = (host / "state").string();
    config.log_file = (host / "wrapper.log").string();
    config.log_level = "debug";
    config.min_housekeeping_cpus = 1;
    config.v1_manage_root_flag = false;
    config.runtime = "/bin/true";
    runc_root = (host / "runc").string();
  }

  void cpuset(const std::string& rel, const std::string& cpus, bool flag) const {
    const std::string dir = std::string(kCpuset) + (rel.empty() ? "" : "/" + rel);
    host.write_file(dir + "/cpuset.cpus", cpus + "\n");
    host.write_file(dir + "/cpuset.mems", "0\n");
    host.write_file(dir + "/cpuset.sched_load_balance", flag ? "1\n" : "0\n");
  }

  [[nodiscard]] std::string flag(const std::string& rel) const {
    std::string text =
        host.read_file(std::string(kCpuset) + (rel.empty() ? "" : "/" + rel) + "/cpuset.sched_load_balance");
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    return text;
  }

  // A live process in the fake /proc: stat with start ticks, cpuset cgroup.
  void process(int pid, std::uint64_t ticks,
               const std::string& cgroup = "/" + std::string(kContainer)) const {
    host.write_file("proc/" + std::to_string(pid) + "/stat",
                    std::to_string(pid) + " (sleep) S 1 1 1 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 " +
                        std::to_string(ticks) + " 1000 100\n");
    host.write_file("proc/" + std::to_string(pid) + "/cgroup", "5:cpuset:" + cgroup + "\n");
  }

  // What `runc create` leaves: state.json and the exec fifo `runc start`
  // removes (runc's own "created" test).
  void runc_state(const std::string& id, int pid, std::uint64_t ticks) const {
    host.write_file("runc/" + id + "/state.json",
                    nlohmann::json{{"init_process_pid", pid}, {"init_process_start", ticks}}.dump());
    host.write_file("runc/" + id + "/exec.fifo", "");
  }

  void runc_started(const std::string& id) const {
    std::filesystem::remove(host / "runc" / id / "exec.fifo");
  }

  // Seeds the ledger with one entry, as create would have recorded it; its
  // creator (the wrapper that became `runc create`) has exited.
  void seed(const std::string& id, const std::string& cpus, std::int64_t decided_at,
            ProcessRef creator = ProcessRef{31337, 1}) {
    auto ledger = Ledger::open(config.state_dir, config.lock_timeout);
    ASSERT_TRUE(ledger) << ledger.error().message;
    LedgerEntry e;
    e.runc_root = runc_root;
    e.container_id = id;
    e.cpus = *CpuSet::parse(cpus);
    e.cgroups_path = "/" + std::string(kContainer);
    e.decided_at = decided_at;
    e.creator = creator;
    ledger->data().entries.push_back(e);
    ASSERT_TRUE(ledger->commit());
  }

  [[nodiscard]] LedgerData snapshot() const {
    auto data = read_ledger_snapshot(config.state_dir);
    EXPECT_TRUE(data) << data.error().message;
    return data ? *data : LedgerData{};
  }

  [[nodiscard]] const LedgerEntry* entry(const LedgerData& data, const std::string& id) const {
    for (const auto& e : data.entries) {
      if (e.same_container(runc_root, id)) {
        return &e;
      }
    }
    return nullptr;
  }

  void expect_all_flags_back() const {
    for (const char* rel : {"", "system", "kubepods", "kubepods/pod1", kContainer}) {
      EXPECT_EQ(flag(rel), "1") << "cpuset /" << rel;
    }
  }

  // Isolates the seeded entry through a NodeSession and closes it.
  void isolate_seeded() {
    NodeSession node(config, log);
    auto ok = node.isolate(runc_root, kId, *CgroupPath::parse(std::string("/") + kContainer));
    ASSERT_TRUE(ok) << ok.error().message;
  }

  void set_state(const std::string& id, EntryState state) {
    auto ledger = Ledger::open(config.state_dir, config.lock_timeout);
    ASSERT_TRUE(ledger);
    LedgerEntry* e = ledger->find(runc_root, id);
    ASSERT_NE(e, nullptr);
    e->state = state;
    ASSERT_TRUE(ledger->commit());
  }

  TempDir host;
  Config config;
  Log log;
  std::string runc_root;
};

TEST_F(NodeSessionTest, IsolateRecordsIsolatedAndFlipsOverlappingFlags) {
  seed(kId, "2-3", now_seconds());
  isolate_seeded();
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, EntryState::kIsolated);
  ASSERT_TRUE(e->isolation);
  EXPECT_EQ(e->isolation->cgroup, "kubepods/pod1/c1");
  EXPECT_GT(e->isolated_at, 0);
  EXPECT_EQ(flag(kContainer), "0");
  EXPECT_EQ(flag("kubepods/pod1"), "0");
  EXPECT_EQ(flag("kubepods"), "0");
  EXPECT_EQ(flag("system"), "1");  // no overlap with CPUs 2-3
  EXPECT_EQ(flag(""), "1");        // v1_manage_root_flag = false
  EXPECT_EQ(data.v1.flag_changes.size(), 2U);
  EXPECT_TRUE(data.v1.balanced_cgroup.empty());
}

TEST_F(NodeSessionTest, ReleaseRestoresFlagsAndForgetsTheEntry) {
  seed(kId, "2-3", now_seconds());
  isolate_seeded();
  {
    NodeSession node(config, log);
    node.release(runc_root, kId);
  }
  const auto data = snapshot();
  EXPECT_EQ(entry(data, kId), nullptr);
  EXPECT_TRUE(data.v1.flag_changes.empty());
  expect_all_flags_back();
}

TEST_F(NodeSessionTest, UnisolateKeepsTheDecision) {
  seed(kId, "2-3", now_seconds());
  isolate_seeded();
  {
    NodeSession node(config, log);
    node.unisolate(runc_root, kId);
  }
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, EntryState::kDecided);
  EXPECT_FALSE(e->isolation);
  expect_all_flags_back();
}

TEST_F(NodeSessionTest, FailedIsolationLeavesTheDecisionAndTheTreeUntouched) {
  seed(kId, "1-2", now_seconds());  // CPU 1 is not in the container's cpuset (2-3)
  NodeSession node(config, log);
  auto ok = node.isolate(runc_root, kId, *CgroupPath::parse(std::string("/") + kContainer));
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("not in the container's"), std::string::npos) << ok.error().message;
  auto ledger = node.ledger();
  ASSERT_TRUE(ledger);
  const LedgerEntry* e = (*ledger)->find(runc_root, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, EntryState::kDecided);
  EXPECT_FALSE(e->isolation);
  EXPECT_TRUE((*ledger)->data().v1.flag_changes.empty());
  expect_all_flags_back();
}

// Issue 10, item 7: the housekeeping floor counted CPUs another tool
// isolated (here a v1 cpuset with its flag at 0 and no balanced cover) as
// housekeeping, and let a container claim them.
TEST_F(NodeSessionTest, ClaimedCpusCountWhatOthersIsolatedInTheKernel) {
  cpuset("", "0-3", false);
  cpuset("kubepods", "0-2", true);
  cpuset("kubepods/pod1", "0-2", true);
  cpuset(kContainer, "2", true);
  cpuset("rt", "3", false);  // an operator's isolated cpuset
  NodeSession node(config, log);
  auto claimed = node.claimed_cpus(nullptr);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->to_string(), "3");
}

TEST_F(NodeSessionTest, IsolateWithoutADecisionIsRefused) {
  NodeSession node(config, log);
  auto ok = node.isolate(runc_root, "nobody", *CgroupPath::parse(std::string("/") + kContainer));
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("no decision"), std::string::npos);
}

TEST_F(NodeSessionTest, ClaimedCpusCountOthersAndBootIsolatedButNotSelf) {
  host.write_file("sys/devices/system/cpu/isolated", "0\n");
  seed(kId, "2-3", now_seconds());
  NodeSession node(config, log);
  auto all = node.claimed_cpus(nullptr);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->to_string(), "0,2-3");
  auto ledger = node.ledger();
  ASSERT_TRUE(ledger);
  auto others = node.claimed_cpus((*ledger)->find(runc_root, kId));
  ASSERT_TRUE(others);
  EXPECT_EQ(others->to_string(), "0");
}

TEST_F(NodeSessionTest, ReconcileCompletesAnInterruptedRelease) {
  seed(kId, "2-3", now_seconds());
  isolate_seeded();
  set_state(kId, EntryState::kReleasing);
  NodeSession node(config, log);
  const auto report = node.reconcile();
  EXPECT_EQ(report.released, 1);
  EXPECT_EQ(entry(snapshot(), kId), nullptr);
  expect_all_flags_back();
}

TEST_F(NodeSessionTest, ReconcileUndoesAnInterruptedIsolation) {
  process(4242, 777);
  runc_state(kId, 4242, 777);
  seed(kId, "2-3", now_seconds());
  isolate_seeded();
  set_state(kId, EntryState::kIsolating);
  {
    NodeSession node(config, log);
    const auto report = node.reconcile();
    EXPECT_EQ(report.undone, 1);
  }
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, EntryState::kDecided);
  EXPECT_FALSE(e->isolation);
  EXPECT_TRUE(data.v1.flag_changes.empty());
  expect_all_flags_back();
}

TEST_F(NodeSessionTest, ReconcileReleasesADeadContainerAndKeepsALiveOne) {
  process(4242, 777);
  runc_state(kId, 4242, 777);
  seed(kId, "2-3", now_seconds());
  isolate_seeded();
  {
    NodeSession node(config, log);
    EXPECT_EQ(node.reconcile().released, 0);
  }
  EXPECT_EQ(entry(snapshot(), kId)->state, EntryState::kIsolated);
  EXPECT_EQ(flag(kContainer), "0");

  // Same pid, different start time: the pid was reused, the container is gone.
  process(4242, 999);
  {
    NodeSession node(config, log);
    EXPECT_EQ(node.reconcile().released, 1);
  }
  EXPECT_EQ(entry(snapshot(), kId), nullptr);
  expect_all_flags_back();
}

// Item 6 of the reliability issue: a decision lives while the process that
// made it (the wrapper, now `runc create`) runs, however long that takes and
// whatever the wall clock does; once it is gone without a container, the
// decision goes too.
TEST_F(NodeSessionTest, DecisionLivesWhileItsCreatorRunsWhateverTheClock) {
  process(5000, 42);
  seed("slow", "2", now_seconds() - 3600, ProcessRef{5000, 42});
  seed("failed", "3", now_seconds(), ProcessRef{5001, 42});
  {
    NodeSession node(config, log);
    EXPECT_EQ(node.reconcile().dropped, 1);
  }
  auto data = snapshot();
  EXPECT_NE(entry(data, "slow"), nullptr);
  EXPECT_EQ(entry(data, "failed"), nullptr);
  process(5000, 43);  // the pid now belongs to another process
  {
    NodeSession node(config, log);
    EXPECT_EQ(node.reconcile().dropped, 1);
  }
  EXPECT_EQ(entry(snapshot(), "slow"), nullptr);
}

// Ledgers written before 0.2 name no creator: the old wall-clock grace.
TEST_F(NodeSessionTest, LegacyDecisionsWithoutCreatorKeepTheWallClockGrace) {
  seed("fresh", "2", now_seconds(), ProcessRef{});
  seed("stale", "3", now_seconds() - 3600, ProcessRef{});
  {
    NodeSession node(config, log);
    EXPECT_EQ(node.reconcile().dropped, 1);
  }
  const auto data = snapshot();
  EXPECT_NE(entry(data, "fresh"), nullptr);
  EXPECT_EQ(entry(data, "stale"), nullptr);
}

// --- hook-mode entries ------------------------------------------------------
// Hook entries used to record the relative root "hook": every read of runc's
// state for them opened hook/<id>/state.json relative to whatever directory
// the wrapper or ctl ran in, where anyone could plant one.

class HookEntryTest : public NodeSessionTest {
 protected:
  // A hook entry as a 0.1 / 0.2 ctl wrote it: the relative root "hook".
  void seed_legacy_hook(int init_pid, std::uint64_t ticks, EntryState state = EntryState::kDecided) const {
    LedgerData data;
    LedgerEntry e;
    e.runc_root = "hook";
    e.container_id = kId;
    e.state = state;
    e.cpus = CpuSet::range(2, 3);
    e.cgroups_path = "/" + std::string(kContainer);
    e.decided_at = now_seconds();
    e.init_pid = init_pid;
    e.init_start_ticks = ticks;
    data.entries.push_back(e);
    std::filesystem::create_directories(config.state_dir);
    ::chmod(config.state_dir.c_str(), 0700);
    host.write_file("state/ledger.json", serialize_ledger(data));
  }

  // A legacy hook entry isolated in kubepods/pod1/c1 whose init (4242) is gone.
  void isolate_legacy_hook_seeded() {
    seed_legacy_hook(4242, 777);
    const std::string root = snapshot().entries.at(0).runc_root;  // as this version reads it
    NodeSession node(config, log);
    auto ok = node.isolate(root, kId, *CgroupPath::parse(std::string("/") + kContainer));
    ASSERT_TRUE(ok) << ok.error().message;
    ASSERT_EQ(flag(kContainer), "0");
  }

  // Runs `fn` with the working directory in a directory of the attacker's,
  // holding hook/c1/state.json that names `pid`.
  template <typename Fn>
  void from_planted_cwd(int pid, std::uint64_t ticks, Fn fn) const {
    host.write_file("planted/hook/" + std::string(kId) + "/state.json",
                    nlohmann::json{{"init_process_pid", pid}, {"init_process_start", ticks}}.dump());
    const auto before = std::filesystem::current_path();
    std::filesystem::current_path(host / "planted");
    fn();
    std::filesystem::current_path(before);
  }

  [[nodiscard]] const LedgerEntry* hook_entry(const LedgerData& data) const {
    for (const auto& e : data.entries) {
      if (e.container_id == kId) {
        return &e;
      }
    }
    return nullptr;
  }
};

TEST_F(HookEntryTest, IsolatedAgainWhereItsRecordedProcessRunsNotWhereAPlantedStateSays) {
  cpuset("kubepods/pod1/victim", "2-3", true);
  process(4242, 777);                           // the hook container's init, in kubepods/pod1/c1
  process(6666, 888, "/kubepods/pod1/victim");  // someone else's process
  seed_legacy_hook(4242, 777);                  // alive, and lost its isolation
  from_planted_cwd(6666, 888, [&] {
    NodeSession node(config, log);
    (void)node.reconcile();
  });
  const auto data = snapshot();
  const LedgerEntry* e = hook_entry(data);
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->isolation);
  EXPECT_EQ(e->isolation->cgroup, "kubepods/pod1/c1") << "a planted state.json chose the cgroup to isolate";
  EXPECT_EQ(flag(kContainer), "0");
}

TEST_F(HookEntryTest, ADeadHookContainerIsReleasedWhateverThePlantedStateSays) {
  process(6666, 888);  // alive, named by the planted file
  isolate_legacy_hook_seeded();
  from_planted_cwd(6666, 888, [&] {
    NodeSession node(config, log);
    (void)node.reconcile();
  });
  EXPECT_EQ(hook_entry(snapshot()), nullptr) << "a planted state.json kept a dead container's CPUs claimed";
  expect_all_flags_back();
}

TEST_F(HookEntryTest, TheLegacyRelativeRootIsReadAsTheAbsoluteOne) {
  seed_legacy_hook(0, 0);
  const auto data = snapshot();
  ASSERT_EQ(data.entries.size(), 1U);
  EXPECT_EQ(data.entries[0].runc_root, kHookRoot);
  EXPECT_TRUE(std::filesystem::path(std::string(kHookRoot)).is_absolute());
}

// --- handle_call ------------------------------------------------------------

class HandleCallTest : public NodeSessionTest {
 protected:
  void bundle(const std::string& name, const std::string& cpus, const nlohmann::json& annotations,
              const std::string& cgroups_path = "/" + std::string(kContainer)) const {
    nlohmann::json spec = {
        {"ociVersion", "1.0.2"},
        {"process", {{"args", {"sleep", "1000"}}, {"cwd", "/"}}},
        {"root", {{"path", "rootfs"}}},
        {"annotations", annotations},
        {"linux",
         {{"cgroupsPath", cgroups_path}, {"resources", {{"cpu", {{"cpus", cpus}, {"shares", 2048}}}}}}}};
    host.write_file(name + "/config.json", spec.dump());
  }

  Outcome call(std::vector<std::string> args) {
    std::vector<std::string_view> views;
    views.emplace_back("--root");
    views.emplace_back(runc_root);
    for (const auto& a : args) {
      views.emplace_back(a);
    }
    const RuncInvocation inv = parse_invocation(views, host.path().string());
    std::vector<std::string> storage{"runc-isolcpus", "--root", runc_root};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : storage) {
      argv.push_back(s.data());
    }
    argv.push_back(nullptr);
    Call c{inv, config, log, runtime, static_cast<int>(storage.size()), argv.data(), &seams};
    return handle_call(c);
  }

  const nlohmann::json annotated = {{"cpu-load-balancing.crio.io", "disable"}};
  std::string runtime = "/bin/true";  // update runs it as a child
  int watchers = 0;                   // exit watchers the calls asked for (none is forked)
  Seams seams = [this] {
    Seams s;
    s.spawn_exit_watcher = [this] { ++watchers; };
    return s;
  }();
};

// Regression: update of a created (not started) container left the decision
// on the old cpus, so start tried to isolate CPUs the container no longer had.
TEST_F(HandleCallTest, UpdateBeforeStartMovesTheDecision) {
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  process(4242, 777);  // what runc create leaves: a container in runc's state
  runc_state(kId, 4242, 777);
  cpuset(kContainer, "2", true);  // what runc update writes (the fake runtime does not)
  const Outcome out = call({"update", "--cpuset-cpus", "2", kId});
  EXPECT_FALSE(out.exec_runtime);  // ran as a child, to learn its status
  EXPECT_EQ(out.exit_code, 0);
  const auto data = snapshot();
  ASSERT_NE(entry(data, kId), nullptr);
  EXPECT_EQ(entry(data, kId)->state, EntryState::kDecided);
  EXPECT_EQ(entry(data, kId)->cpus.to_string(), "2");
  expect_all_flags_back();
}

TEST_F(HandleCallTest, FailedUpdateBeforeStartKeepsTheDecision) {
  runtime = "/bin/false";
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  process(4242, 777);
  runc_state(kId, 4242, 777);
  const Outcome out = call({"update", "--cpuset-cpus", "2", kId});
  EXPECT_FALSE(out.exec_runtime);
  EXPECT_EQ(out.exit_code, 1);
  const auto data = snapshot();
  ASSERT_NE(entry(data, kId), nullptr);
  EXPECT_EQ(entry(data, kId)->cpus.to_string(), "2-3");
}

TEST_F(HandleCallTest, UpdateOfAnIsolatedContainerMovesTheIsolation) {
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  process(4242, 777);
  runc_state(kId, 4242, 777);
  ASSERT_TRUE(call({"start", kId}).exec_runtime);
  // The fake runtime does not write the cgroup: do what runc update would.
  cpuset(kContainer, "3", false);
  // CPU 2 rejoins housekeeping, which "system" (0-1) no longer covers: the
  // isolator will want its balanced cpuset, which a plain-file tree cannot
  // populate by mkdir, so it is laid out here.
  cpuset("runc-isolcpus.balanced", "0-1", true);
  const Outcome out = call({"update", "--cpuset-cpus", "3", kId});
  EXPECT_EQ(out.exit_code, 0);
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, EntryState::kIsolated);
  EXPECT_EQ(e->cpus.to_string(), "3");
  ASSERT_TRUE(e->isolation);
  EXPECT_EQ(e->isolation->cpus.to_string(), "3");
  EXPECT_EQ(flag(kContainer), "0");
}

// `runc update -r` reads its file with Go's json.Decoder: the first JSON
// value only (trailing bytes ignored), keys matched case-insensitively, and
// runc hands cpus to the kernel, which takes every bitmap_parselist form.
// Each of these once made the wrapper see "no change" while runc moved the
// container.
class UpdateInputTest : public HandleCallTest {
 protected:
  void SetUp() override {
    HandleCallTest::SetUp();
    bundle("b1", "2-3", annotated);
    ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
    process(4242, 777);
    runc_state(kId, 4242, 777);
  }

  // The cpus the created container's decision holds after `args`, runc
  // having written `runc_writes` to its cgroup (the fake runtime does not,
  // and the entry follows what the cgroup runs on).
  std::string cpus_after(const std::vector<std::string>& args, const std::string& runc_writes) {
    cpuset(kContainer, runc_writes, true);
    const Outcome out = call(args);
    EXPECT_FALSE(out.exec_runtime) << "passed through: the wrapper saw no cpus change";
    const auto data = snapshot();
    const LedgerEntry* e = entry(data, kId);
    return e == nullptr ? "(released)" : e->cpus.to_string();
  }

  std::string resources(const std::string& text) const {
    host.write_file("resources.json", text);
    return (host / "resources.json").string();
  }
};

TEST_F(UpdateInputTest, KeysMatchCaseInsensitivelyAsInGo) {
  EXPECT_EQ(cpus_after({"update", "-r", resources(R"({"CPU": {"Cpus": "2"}})"), kId}, "2"), "2");
}

TEST_F(UpdateInputTest, OnlyTheFirstJsonValueIsRead) {
  EXPECT_EQ(
      cpus_after({"update", "-r", resources("{\"cpu\": {\"cpus\": \"3\"}}\n}}not json at all"), kId}, "3"),
      "3");
}

TEST_F(UpdateInputTest, StridedCpuListInTheFile) {
  EXPECT_EQ(cpus_after({"update", "-r", resources(R"({"cpu": {"cpus": "0-3:1/2"}})"), kId}, "0,2"), "0,2");
}

TEST_F(UpdateInputTest, StridedCpuListInTheFlag) {
  EXPECT_EQ(cpus_after({"update", "--cpuset-cpus", "2-3:1/2", kId}, "2"), "2");
}

TEST_F(UpdateInputTest, SpaceSeparatedCpuList) {
  EXPECT_EQ(cpus_after({"update", "--cpuset-cpus", "1 3", kId}, "1,3"), "1,3");
}

TEST_F(UpdateInputTest, EmptyResourcesPathLeavesTheFlagsInCharge) {
  // runc: `if in := cmd.String("resources"); in != ""`, else the flags.
  EXPECT_EQ(cpus_after({"update", "-r", "", "--cpuset-cpus", "3", kId}, "3"), "3");
}

TEST_F(UpdateInputTest, WithAResourcesFileTheFlagsAreIgnoredAsInRunc) {
  // runc 1.1-1.5 read --cpuset-cpus and the other flags only without -r.
  EXPECT_EQ(
      cpus_after({"update", "-r", resources(R"({"cpu": {"cpus": "3"}})"), "--cpuset-cpus", "2", kId}, "3"),
      "3");
}

TEST_F(UpdateInputTest, AFifoThatIsNotStdinIsRefusedForAContainerWeIsolate) {
  // Reading it would take the document from runc; not reading it would let
  // runc move the CPUs unseen.
  const auto fifo = host / "resources.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const Outcome out = call({"update", "-r", fifo.string(), kId});
  EXPECT_FALSE(out.exec_runtime);
  EXPECT_EQ(out.exit_code, 1);
  const auto data = snapshot();
  ASSERT_NE(entry(data, kId), nullptr);
  EXPECT_EQ(entry(data, kId)->cpus.to_string(), "2-3");
  EXPECT_FALSE(entry(data, kId)->update);
}

TEST_F(UpdateInputTest, AFifoIsLeftAloneForAContainerNotOurs) {
  const auto fifo = host / "resources.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(call({"update", "-r", fifo.string(), "someone-else"}).exec_runtime);
}

// Found by the v2 soak: a crash had left the entry "isolating"; the update's
// inputs were read only for entries that looked ours before the lock, so
// the new cpus went unseen while the call's own reconcile isolated the
// container again, and runc moved an isolated partition's CPUs.
TEST_F(HandleCallTest, UpdateSeesTheNewCpusWhateverTheEntryLookedLikeBeforeTheLock) {
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  process(4242, 777);
  runc_state(kId, 4242, 777);
  ASSERT_TRUE(call({"start", kId}).exec_runtime);
  set_state(kId, EntryState::kIsolating);  // a crashed call, as the next one finds it
  cpuset("runc-isolcpus.balanced", "0-1", true);
  cpuset(kContainer, "3", false);  // what runc update writes (the fake runtime does not)
  const Outcome out = call({"update", "--cpuset-cpus", "3", kId});
  EXPECT_FALSE(out.exec_runtime) << "passed through: runc would move an isolated container's CPUs";
  EXPECT_EQ(out.exit_code, 0);
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, EntryState::kIsolated);
  EXPECT_EQ(e->cpus.to_string(), "3");
}

// runc chdirs into --bundle and reads config.json there, so the kernel
// resolves "lnk/.." after following lnk; a lexical clean reads another file.
TEST_F(HandleCallTest, BundleIsResolvedAsRuncsChdirResolvesIt) {
  bundle("real/b", "2-3", annotated);  // what runc runs
  bundle("a/b", "3", annotated);       // what a lexical clean would read
  host.make_dirs("real/x");
  std::filesystem::create_directory_symlink(host / "real/x", host / "a/lnk");
  const std::string typed = (host / "a/lnk/../b").string();
  ASSERT_TRUE(call({"create", "--bundle", typed, kId}).exec_runtime);
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->cpus.to_string(), "2-3") << "the wrapper read a config.json runc does not run";
  EXPECT_EQ(e->bundle, std::filesystem::canonical(host / "real/b").string());
}

// A --root that is not UTF-8 (argv is bytes) used to throw in the ledger's
// JSON writer: "internal error", the container left unrecorded and
// unisolated.
TEST_F(HandleCallTest, NonUtf8RootAndBundleAreRecordedExactly) {
  runc_root = (host / "runc\xff").string();
  bundle("b\xfe", "2-3", annotated);
  const std::string typed = (host / "b\xfe").string();
  ASSERT_TRUE(call({"create", "--bundle", typed, kId}).exec_runtime);
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr) << "the decision was not recorded";
  EXPECT_EQ(e->runc_root, runc_root);
  EXPECT_EQ(e->bundle, typed);
}

TEST_F(HandleCallTest, CreateRecordsADecisionAndStartIsolates) {
  bundle("b1", "2-3", annotated);
  const Outcome created = call({"create", "--bundle", (host / "b1").string(), kId});
  EXPECT_TRUE(created.exec_runtime);
  const auto decided = snapshot();
  ASSERT_NE(entry(decided, kId), nullptr);
  EXPECT_EQ(entry(decided, kId)->state, EntryState::kDecided);
  EXPECT_EQ(flag(kContainer), "1");

  process(4242, 777);
  runc_state(kId, 4242, 777);
  const Outcome started = call({"start", kId});
  EXPECT_TRUE(started.exec_runtime);
  const auto isolated = snapshot();
  const LedgerEntry* e = entry(isolated, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, EntryState::kIsolated);
  EXPECT_EQ(e->init_pid, 4242);
  EXPECT_EQ(e->init_start_ticks, 777U);
  EXPECT_EQ(flag(kContainer), "0");

  // delete without --force of a live container keeps it isolated (runc
  // refuses a running one; a watcher releases a created one it deletes) ...
  EXPECT_TRUE(call({"delete", kId}).exec_runtime);
  EXPECT_EQ(flag(kContainer), "0");
  ASSERT_NE(entry(snapshot(), kId), nullptr);
  EXPECT_EQ(watchers, 1);
  // ... with --force it releases the kernel side but keeps the claim until
  // the container is seen gone: runc may still fail to kill it.
  EXPECT_TRUE(call({"delete", "--force", kId}).exec_runtime);
  ASSERT_NE(entry(snapshot(), kId), nullptr);
  EXPECT_EQ(entry(snapshot(), kId)->state, EntryState::kDecided);
  EXPECT_EQ(watchers, 2);
  expect_all_flags_back();
  std::filesystem::remove_all(host / "proc/4242");  // runc delete did its work
  std::filesystem::remove_all(host / "runc" / kId);
  EXPECT_TRUE(call({"delete", kId}).exec_runtime);
  EXPECT_EQ(entry(snapshot(), kId), nullptr);
  expect_all_flags_back();
}

// Item 7: `runc delete --force` failed and the container still runs: the
// next call isolates it again, and its CPUs were never free for another pod.
TEST_F(HandleCallTest, ContainerThatSurvivesAFailedDeleteIsIsolatedAgain) {
  bundle("b1", "2-3", annotated);
  bundle("b2", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  process(4242, 777);
  runc_state(kId, 4242, 777);
  ASSERT_TRUE(call({"start", kId}).exec_runtime);
  ASSERT_TRUE(call({"delete", "--force", kId}).exec_runtime);  // ... and runc fails
  // Another pod asks for the same CPUs: refused, they are still claimed.
  const Outcome other = call({"create", "--bundle", (host / "b2").string(), "c2"});
  EXPECT_FALSE(other.exec_runtime);
  const LedgerData data = snapshot();  // e points into it (ASan: it pointed into a dead temporary)
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, EntryState::kIsolated) << "the create's reconcile isolates the survivor again";
  EXPECT_EQ(flag(kContainer), "0");
}

// Regression: restore was handled like create (a decision only), but no
// `start` follows a restore, so its CPUs were claimed and never isolated.
TEST_F(HandleCallTest, RestoreIsolatesBeforeRuncRuns) {
  bundle("b1", "2-3", annotated);
  const Outcome out = call({"restore", "--detach", "--image-path", (host / "img").string(), "--bundle",
                            (host / "b1").string(), kId});
  EXPECT_TRUE(out.exec_runtime);
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, EntryState::kIsolated);
  EXPECT_EQ(flag(kContainer), "0");
}

TEST_F(HandleCallTest, OverlappingClaimIsRefusedUnderFail) {
  process(5000, 42);  // "other" is being created right now
  seed("other", "3", now_seconds(), ProcessRef{5000, 42});
  bundle("b1", "2-3", annotated);
  const Outcome out = call({"create", "--bundle", (host / "b1").string(), kId});
  EXPECT_FALSE(out.exec_runtime);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(entry(snapshot(), kId), nullptr);
}

TEST_F(HandleCallTest, OverlappingClaimPassesThroughUnderWarn) {
  config.on_failure = OnFailure::kWarn;
  process(5000, 42);
  seed("other", "3", now_seconds(), ProcessRef{5000, 42});
  bundle("b1", "2-3", annotated);
  const Outcome out = call({"create", "--bundle", (host / "b1").string(), kId});
  EXPECT_TRUE(out.exec_runtime);
  EXPECT_EQ(entry(snapshot(), kId), nullptr);
}

TEST_F(HandleCallTest, DeniedNamespaceIsRefused) {
  config.allowed_namespaces = {"rt"};
  bundle("b1", "2-3",
         {{"cpu-load-balancing.crio.io", "disable"}, {"io.kubernetes.pod.namespace", "default"}});
  ::testing::internal::CaptureStderr();
  const Outcome out = call({"create", "--bundle", (host / "b1").string(), kId});
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(out.exec_runtime);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(err.rfind("runc-isolcpus:", 0), 0U) << err;
  EXPECT_NE(err.find("default"), std::string::npos) << err;
}

// Item 8: a refused start gives its claim back at once, so the kubelet's
// retry under a new container id finds the CPUs free.
TEST_F(HandleCallTest, FailedIsolationAtStartGivesTheClaimBackUnderFail) {
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  cpuset(kContainer, "2", true);  // CPU 3 taken away behind our back
  process(4242, 777);
  runc_state(kId, 4242, 777);
  const Outcome out = call({"start", kId});
  EXPECT_FALSE(out.exec_runtime);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(entry(snapshot(), kId), nullptr);
  expect_all_flags_back();
}

TEST_F(HandleCallTest, FailedIsolationAtStartForgetsTheEntryUnderWarn) {
  config.on_failure = OnFailure::kWarn;
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  cpuset(kContainer, "2", true);
  process(4242, 777);
  runc_state(kId, 4242, 777);
  EXPECT_TRUE(call({"start", kId}).exec_runtime);
  EXPECT_EQ(entry(snapshot(), kId), nullptr);
  expect_all_flags_back();
}

// Review finding: a `runc start` that went around the wrapper left a decided
// entry with no init, which reconcile took for a created container forever.
TEST_F(HandleCallTest, StartAroundTheWrapperIsIsolatedByTheNextReconcile) {
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  process(4242, 777);
  runc_state(kId, 4242, 777);
  {
    NodeSession node(config, log);
    EXPECT_FALSE(node.started_around_us(*entry(snapshot(), kId))) << "created, not started";
    EXPECT_EQ(node.reconcile().reisolated, 0);
  }
  EXPECT_EQ(entry(snapshot(), kId)->state, EntryState::kDecided);
  runc_started(kId);  // `runc start` run directly
  {
    NodeSession node(config, log);
    EXPECT_EQ(node.reconcile().reisolated, 1);
  }
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, EntryState::kIsolated);
  EXPECT_EQ(e->init_pid, 4242);
  EXPECT_EQ(flag(kContainer), "0");
}

// Review finding: the entry followed runc's exit status, not the cgroup.
// An update that fails after writing cpuset.cpus moved the container.
TEST_F(HandleCallTest, FailedUpdateThatMovedTheCgroupIsFollowed) {
  runtime = "/bin/false";
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  process(4242, 777);
  runc_state(kId, 4242, 777);
  ASSERT_TRUE(call({"start", kId}).exec_runtime);
  cpuset(kContainer, "3", false);  // written before runc failed
  cpuset("runc-isolcpus.balanced", "0-1", true);
  EXPECT_EQ(call({"update", "--cpuset-cpus", "3", kId}).exit_code, 1);
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->cpus.to_string(), "3");
  EXPECT_EQ(e->state, EntryState::kIsolated);
  EXPECT_EQ(flag(kContainer), "0");
}

// ... and one that "succeeds" without moving the cgroup keeps the old set.
TEST_F(HandleCallTest, SuccessfulUpdateThatLeftTheCgroupKeepsTheOldSet) {
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  process(4242, 777);
  runc_state(kId, 4242, 777);
  ASSERT_TRUE(call({"start", kId}).exec_runtime);
  EXPECT_EQ(call({"update", "--cpuset-cpus", "3", kId}).exit_code, 0);  // /bin/true writes nothing
  const auto data = snapshot();
  const LedgerEntry* e = entry(data, kId);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->cpus.to_string(), "2-3");
  EXPECT_EQ(e->state, EntryState::kIsolated);
  EXPECT_EQ(flag(kContainer), "0");
}

// Review F3: under "warn" an update to CPUs the guardrails refused still
// runs; when its wrapper was SIGKILLed after runc moved the container, the
// settle took the refused set as the container's claim: two live entries
// claimed CPU 3.
TEST_F(HandleCallTest, InterruptedRefusedUpdateIsNotSettledAsAClaim) {
  config.on_failure = OnFailure::kWarn;
  bundle("b1", "2", annotated);
  bundle("b2", "3", annotated);
  cpuset(kContainer, "2", true);
  cpuset("kubepods/pod1/c2", "3", true);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  process(4242, 777);
  runc_state(kId, 4242, 777);
  cpuset("runc-isolcpus.balanced", "0-1", true);  // a plain-file tree cannot mkdir one
  ASSERT_TRUE(call({"start", kId}).exec_runtime);
  ASSERT_NE(entry(snapshot(), kId), nullptr);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b2").string(), "c2"}).exec_runtime);
  ASSERT_NE(entry(snapshot(), kId), nullptr);
  process(4343, 888, "/kubepods/pod1/c2");
  runc_state("c2", 4343, 888);
  {
    // What a SIGKILLed `update --cpuset-cpus 3 c1` leaves once runc wrote.
    auto ledger = Ledger::open(config.state_dir, config.lock_timeout);
    ASSERT_TRUE(ledger);
    LedgerEntry* e = ledger->find(runc_root, kId);
    ASSERT_NE(e, nullptr);
    e->update = UpdateInFlight{CpuSet::of({2}),      CpuSet::of({3}),      kContainer,
                               ProcessRef{31337, 1}, ProcessRef{31338, 1}, true};
    ASSERT_TRUE(ledger->commit());
  }
  cpuset(kContainer, "3", false);
  {
    NodeSession node(config, log);
    (void)node.reconcile();
  }
  const auto data = snapshot();
  EXPECT_EQ(entry(data, kId), nullptr) << "the refused set was kept as c1's claim";
  ASSERT_NE(entry(data, "c2"), nullptr);
  EXPECT_EQ(entry(data, "c2")->cpus.to_string(), "3");
}

// crun keeps its state in <root>/<id>/status, not state.json: the started
// container's init comes from there, and reconcile keeps the container
// isolated while that init lives.  A wrapper that read only state.json
// dropped the decision as dead before start, and never isolated it.
TEST_F(HandleCallTest, CrunsStatusKeepsItsContainerIsolatedWhileItLives) {
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(call({"create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  process(4242, 777);
  host.write_file("runc/" + std::string(kId) + "/status",
                  nlohmann::json{{"pid", 4242},
                                 {"process-start-time", 777},
                                 {"cgroup-path", "/" + std::string(kContainer)},
                                 {"bundle", (host / "b1").string()}}
                      .dump(4));
  ASSERT_TRUE(call({"start", kId}).exec_runtime);
  auto data = snapshot();
  ASSERT_NE(entry(data, kId), nullptr);
  EXPECT_EQ(entry(data, kId)->state, EntryState::kIsolated);
  EXPECT_EQ(entry(data, kId)->init_pid, 4242);
  auto report = reconcile_node(config, log);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->released, 0);
  data = snapshot();
  ASSERT_NE(entry(data, kId), nullptr);
  EXPECT_EQ(entry(data, kId)->state, EntryState::kIsolated);
  std::filesystem::remove_all(host / "proc/4242");  // the init exits
  report = reconcile_node(config, log);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->released, 1);
  EXPECT_EQ(entry(snapshot(), kId), nullptr);
  expect_all_flags_back();
}

// `crun --cgroup-manager=systemd run` with an empty cgroupsPath: crun's
// scope is crun-<id>.scope (runc's would be runc-<id>.scope) and its workload
// runs in the scope's "container" subgroup.  This fixture is cgroup v1, where
// that subgroup is made and isolated before crun joins it (v2 isolates the
// scope: crun_cgroup_path_test and the systemd guest's sd_crun).  The wrapper
// used runc's name before: it isolated a cgroup the container never entered.
TEST_F(HandleCallTest, CrunSystemdRunIsolatesCrunsScopeSubgroup) {
  runtime = "/usr/bin/crun";
  cpuset("system.slice", "0-3", true);
  // What mkdir gives on a v1 kernel (the plain-file tree cannot): empty sets.
  cpuset("system.slice/crun-c1.scope", "", true);
  cpuset("system.slice/crun-c1.scope/container", "", true);
  bundle("b1", "2-3", annotated, "");
  ASSERT_TRUE(
      call({"--cgroup-manager=systemd", "run", "-d", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  const auto data = snapshot();
  ASSERT_NE(entry(data, kId), nullptr);
  EXPECT_EQ(entry(data, kId)->state, EntryState::kIsolated);
  ASSERT_TRUE(entry(data, kId)->isolation.has_value());
  EXPECT_EQ(entry(data, kId)->isolation->cgroup, "system.slice/crun-c1.scope/container");
  EXPECT_EQ(flag("system.slice/crun-c1.scope/container"), "0");
  EXPECT_EQ(host.read_file(std::string(kCpuset) + "/system.slice/crun-c1.scope/container/cpuset.cpus"),
            "2-3");
  EXPECT_FALSE(std::filesystem::exists(host / kCpuset / "system.slice/runc-c1.scope"));
}

// run.oci.systemd.subgroup names the subgroup (empty: the scope itself,
// crun_cgroup_path_test).
TEST_F(HandleCallTest, CrunSystemdRunFollowsTheSubgroupAnnotation) {
  runtime = "/usr/bin/crun";
  cpuset("system.slice", "0-3", true);
  cpuset("system.slice/libpod-c1.scope", "", true);
  cpuset("system.slice/libpod-c1.scope/payload", "", true);
  nlohmann::json annotations = annotated;
  annotations["run.oci.systemd.subgroup"] = "payload";
  bundle("b1", "2-3", annotations, "system.slice:libpod:c1");
  ASSERT_TRUE(
      call({"--cgroup-manager=systemd", "run", "-d", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  const auto data = snapshot();
  ASSERT_NE(entry(data, kId), nullptr);
  ASSERT_TRUE(entry(data, kId)->isolation.has_value());
  EXPECT_EQ(entry(data, kId)->isolation->cgroup, "system.slice/libpod-c1.scope/payload");
}

// crun's --cgroup-manager=disabled: no cgroup of the container's own, so an
// opted-in container is left balanced, not refused.
TEST_F(HandleCallTest, CgroupManagerDisabledIsolatesNothing) {
  bundle("b1", "2-3", annotated);
  const Outcome out = call({"--cgroup-manager=disabled", "create", "--bundle", (host / "b1").string(), kId});
  EXPECT_TRUE(out.exec_runtime);
  const auto data = snapshot();
  EXPECT_EQ(entry(data, kId), nullptr);
  expect_all_flags_back();
}

// Review: crun needs no flag at start; a container created without a cgroup
// must not be decided again at start from its bundle, or the cgroup its init
// runs in (its caller's: conmon's, a shim's) would be isolated.
TEST_F(HandleCallTest, ACrunContainerWithoutACgroupIsNotDecidedAtStart) {
  bundle("b1", "2-3", annotated);
  ASSERT_TRUE(
      call({"--cgroup-manager=disabled", "create", "--bundle", (host / "b1").string(), kId}).exec_runtime);
  ASSERT_EQ(entry(snapshot(), kId), nullptr);
  cpuset("system.slice/conmon", "2-3", true);
  process(4242, 777, "/system.slice/conmon");
  host.write_file(
      "runc/" + std::string(kId) + "/status",
      nlohmann::json{
          {"pid", 4242}, {"process-start-time", 777}, {"cgroup-path", ""}, {"bundle", (host / "b1").string()}}
          .dump(4));
  EXPECT_TRUE(call({"start", kId}).exec_runtime);
  EXPECT_EQ(entry(snapshot(), kId), nullptr) << "the caller's cgroup was taken for the container's";
  expect_all_flags_back();
}

}  // namespace
}  // namespace isolcpus
