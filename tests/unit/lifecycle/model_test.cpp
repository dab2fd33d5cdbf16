// The randomized model test of docs/INVARIANTS.md.  Random lifecycles of a
// few containers run through the real handle_call against the kernel-rule
// fakes (cgroup v2 remote partitions and cgroup v1 sched_load_balance), with
// a model of runc and /proc around them.  Any step may crash the wrapper
// (at any checkpoint, kernel write or ledger save), fail a kernel write or
// fail a ledger save; `runc update` runs with the lock released and another
// call interleaved; runc itself may fail a delete.  After every step the
// invariants are checked; after a clean reconcile, strictly.
//
// Seeded and reproducible: ISOLCPUS_MODEL_SEED and ISOLCPUS_MODEL_SEQUENCES
// override the defaults; a failure prints the seed and the sequence shrunk
// to a minimal one.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fakes/fake_cgroup_v1.hpp"
#include "fakes/fake_cgroup_v2.hpp"
#include "fakes/fake_kernel_files.hpp"
#include "fakes/temp_dir.hpp"
#include "isolcpus/config.hpp"
#include "isolcpus/cpu_mask.hpp"
#include "isolcpus/dispatch.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/parse_invocation.hpp"
#include "isolcpus/seams.hpp"

namespace isolcpus {
namespace {

struct Crash {};  // not a std::exception: handle_call must not swallow it

// kRuncStart: `runc start` run directly, around the wrapper; kInvalidate:
// the kernel invalidates the container's partition on its own (v2).
enum class Kind { kCreate, kStart, kUpdate, kDelete, kDie, kReconcile, kRuncStart, kInvalidate };

// 1-based indices of the event within the step: 0 = no fault.
struct Fault {
  int crash_at = 0;    // checkpoints, kernel writes and saves all count
  int fail_write = 0;  // the n-th kernel write fails (EIO)
  int fail_save = 0;   // the n-th ledger save and every later one fail (ENOSPC)
  [[nodiscard]] bool any() const { return crash_at + fail_write + fail_save > 0; }
};

struct Op {
  Kind kind = Kind::kReconcile;
  std::string id;
  CpuSet cpus;
  bool annotated = true;
  bool tuned = false;  // create: irq-load-balancing and cpu-c-states disabled too
  bool force = false;
  bool runc_fails = false;       // delete --force or update: runc itself fails
  bool runc_fails_late = false;  // update: ... after writing cpuset.cpus
  Fault fault;
  std::shared_ptr<Op> nested;  // update: a call made while runc update runs
  bool nested_after = false;   // ... whose runc lands after this update's
};

std::string describe(const Op& op) {
  static const char* const kNames[] = {"create", "start",     "update",     "delete",
                                       "die",    "reconcile", "runc-start", "kernel-invalidates"};
  std::ostringstream out;
  out << kNames[static_cast<int>(op.kind)] << ' ' << op.id;
  if (op.kind == Kind::kCreate || op.kind == Kind::kUpdate) {
    out << " cpus=" << op.cpus.to_string();
  }
  if (op.kind == Kind::kCreate && !op.annotated) {
    out << " (plain)";
  }
  if (op.kind == Kind::kCreate && op.tuned) {
    out << " +tunings";
  }
  if (op.force) {
    out << " --force";
  }
  if (op.runc_fails && op.runc_fails_late) {
    out << " [runc fails after writing]";
  } else if (op.runc_fails) {
    out << " [runc fails]";
  }
  if (op.fault.crash_at > 0) {
    out << " [crash at event " << op.fault.crash_at << "]";
  }
  if (op.fault.fail_write > 0) {
    out << " [kernel write " << op.fault.fail_write << " fails]";
  }
  if (op.fault.fail_save > 0) {
    out << " [disk full from save " << op.fault.fail_save << "]";
  }
  if (op.nested) {
    out << " {meanwhile" << (op.nested_after ? ", landing after" : "") << ": " << describe(*op.nested) << "}";
  }
  return out.str();
}

struct Counts {
  long sequences = 0;
  long steps = 0;
  long crashes = 0;
  long write_failures = 0;
  long save_failures = 0;
  long interleaved = 0;
  long violations = 0;
  long tuned = 0;  // creates asking for IRQ and C-state tunings
};

// runc's view of one container.
struct Container {
  bool exists = false;  // runc's state dir
  bool alive = false;   // its init process
  bool started = false;
  bool annotated = false;
  int pid = 0;
  CpuSet cpus;
  bool tuned = false;
};

class World {
 public:
  World(bool v1, Counts& counts) : v1_(v1), counts_(counts) {
    if (v1_) {
      v1_fake_ = std::make_unique<FakeCgroupV1>(host_ / "cpuset");
      v1_fake_->root("0-7").add("system", "0-1", true, "1").add("kubepods", "0-7");
      v1_fake_->before_mutation = [this] { event(); };
      facts_.mode = CgroupMode::kV1;
      facts_.cpuset_mount = host_ / "cpuset";
      facts_.kernel = KernelVersion{6, 1, "6.1.0-28-amd64"};
    } else {
      v2_fake_ = std::make_unique<FakeCgroupV2>();
      v2_fake_->add_cgroup("kubepods", CpuSet::range(0, 7));
      v2_fake_->set_file("kubepods", "cgroup.subtree_control", "cpuset\n");
      v2_fake_->before_write = [this] { event(); };
      facts_.mode = CgroupMode::kV2;
      facts_.cpuset_mount = v2_fake_->mount();
      facts_.kernel = KernelVersion{6, 12, "6.12.9-amd64"};
    }
    facts_.online = CpuSet::range(0, 7);
    host_.make_dirs("proc");
    tuning_files();
    config_.host_root = host_.path().string();
    config_.state_dir = (host_ / "state").string();
    config_.log_level = "off";
    config_.min_housekeeping_cpus = 2;
    config_.on_failure = OnFailure::kFail;
    config_.runtime = "/bin/false";
    runc_root_ = (host_ / "runc").string();
    seams_.host = &facts_;
    seams_.tree = tree();
    seams_.checkpoint = [this](std::string_view) { event(); };
    seams_.fail_save = [this](std::string_view) { return save_fails(); };
    seams_.launch_update = [this](const std::optional<std::string>&) { return launch_update(); };
    seams_.spawn_exit_watcher = [] {};  // the model's clean reconciles do its work
    seams_.files = files_.get();
    initial_ = kernel_snapshot();
  }

  // "" when every invariant held; otherwise what broke.
  std::string run(const std::vector<Op>& ops) {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      step(ops[i]);
      if (auto broken = check_always(); !broken.empty()) {
        return "after step " + std::to_string(i + 1) + ": " + broken;
      }
      if (auto broken = check_after_reconcile(); !broken.empty()) {
        return "after step " + std::to_string(i + 1) + " and a clean reconcile: " + broken;
      }
    }
    return check_teardown();
  }

 private:
  CgroupTree* tree() { return v1_ ? static_cast<CgroupTree*>(v1_fake_.get()) : v2_fake_.get(); }

  // The tunings' files: PM QoS per CPU, the default IRQ mask and four IRQs
  // (one only on CPUs 2-3).  Their writes are events like the cgroups'.
  void tuning_files() {
    for (unsigned cpu = 0; cpu < 8; ++cpu) {
      host_.write_file(latency_file(cpu), "0\n");
    }
    host_.write_file("proc/irq/default_smp_affinity", "ff\n");
    for (const char* irq : {"1", "2", "3"}) {
      host_.write_file(std::string("proc/irq/") + irq + "/smp_affinity", "ff\n");
    }
    host_.write_file("proc/irq/4/smp_affinity", "0c\n");
    files_ = std::make_unique<FakeKernelFiles>(host_);
    files_->refuse = [this](std::string_view, std::string_view) -> std::optional<std::string> {
      event();
      if (armed_ && fault_.fail_write > 0 && ++tuning_writes_ == fault_.fail_write) {
        return "Input/output error";
      }
      return std::nullopt;
    };
  }
  static std::string latency_file(unsigned cpu) {
    return "sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/power/pm_qos_resume_latency_us";
  }
  [[nodiscard]] std::map<std::string, std::string> tuning_snapshot() const {
    std::map<std::string, std::string> out;
    for (unsigned cpu = 0; cpu < 8; ++cpu) {
      out["/" + latency_file(cpu)] = host_.read_file(latency_file(cpu));
    }
    for (const char* f :
         {"default_smp_affinity", "1/smp_affinity", "2/smp_affinity", "3/smp_affinity", "4/smp_affinity"}) {
      out[std::string("/proc/irq/") + f] = host_.read_file(std::string("proc/irq/") + f);
    }
    return out;
  }

  // --- faults -------------------------------------------------------------

  void event() {
    if (armed_ && ++events_ == fault_.crash_at) {
      ++counts_.crashes;
      throw Crash{};
    }
  }

  // A full disk stays full: from the n-th save on, every save of the step fails.
  bool save_fails() {
    if (!armed_ || fault_.fail_save == 0 || ++saves_ < fault_.fail_save) {
      return false;
    }
    counts_.save_failures += saves_ == fault_.fail_save ? 1 : 0;
    return true;
  }

  void arm(const Fault& fault) {
    fault_ = fault;
    events_ = 0;
    saves_ = 0;
    tuning_writes_ = 0;
    armed_ = fault.any();
    if (fault.fail_write > 0) {
      ++counts_.write_failures;
      if (v1_) {
        v1_fake_->fail_operation(static_cast<unsigned>(fault.fail_write));
      } else {
        v2_fake_->fail_write(static_cast<std::size_t>(fault.fail_write));
      }
    }
  }

  void disarm() {
    armed_ = false;
    if (v1_) {
      v1_fake_->fail_operation(0);
    } else {
      v2_fake_->fail_write(0);
    }
  }

  // --- processes ------------------------------------------------------------

  ProcessRef spawn(const std::string& cgroup = "/") {
    const int pid = next_pid_++;
    host_.write_file("proc/" + std::to_string(pid) + "/stat",
                     std::to_string(pid) + " (p) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 " +
                         std::to_string(pid) + " 0 0\n");
    host_.write_file("proc/" + std::to_string(pid) + "/cgroup",
                     v1_ ? "5:cpuset:" + cgroup + "\n" : "0::" + cgroup + "\n");
    return ProcessRef{pid, static_cast<std::uint64_t>(pid)};
  }

  void kill(int pid) { std::filesystem::remove_all(host_ / "proc" / std::to_string(pid)); }

  // --- the wrapper ---------------------------------------------------------

  // Runs one wrapper call as process `self`; returns nullopt when it crashed.
  std::optional<Outcome> wrapper(std::vector<std::string> args) {
    std::vector<std::string> storage{"runc-isolcpus", "--root", runc_root_};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<std::string_view> views(storage.begin() + 1, storage.end());
    const RuncInvocation inv = parse_invocation(views, host_.path().string());
    std::vector<char*> argv;
    for (auto& s : storage) {
      argv.push_back(s.data());
    }
    argv.push_back(nullptr);
    Log log;
    const ProcessRef self = spawn();
    Seams seams = seams_;
    seams.self = self;
    Call call{inv, config_, log, config_.runtime, static_cast<int>(storage.size()), argv.data(), &seams};
    std::optional<Outcome> out;
    try {
      out = handle_call(call);
    } catch (const Crash&) {
      out.reset();
    }
    kill(self.pid);  // exits (or becomes runc, which is done by the end of the step)
    return out;
  }

  // --- runc ------------------------------------------------------------------

  static std::string cgroup_of(const std::string& id) { return "kubepods/" + id; }

  void runc_create(const Op& op, const std::string& bundle_dir) {
    Container& c = containers_[op.id];
    if (c.exists) {
      return;  // "container with given ID already exists"
    }
    if (v1_) {
      v1_fake_->add(cgroup_of(op.id), op.cpus.to_string());
    } else {
      v2_fake_->add_cgroup(cgroup_of(op.id), op.cpus);
    }
    const ProcessRef init = spawn("/" + cgroup_of(op.id));
    const std::string bundle = "bundle=" + bundle_dir;
    host_.write_file("runc/" + op.id + "/state.json", nlohmann::json{{"init_process_pid", init.pid},
                                                                     {"init_process_start", init.start_ticks},
                                                                     {"config", {{"labels", {bundle}}}}}
                                                          .dump());
    host_.write_file("runc/" + op.id + "/exec.fifo", "");  // "created" until runc start
    c = Container{true, true, false, op.annotated, init.pid, op.cpus, op.tuned};
    counts_.tuned += op.tuned ? 1 : 0;
  }

  void runc_delete(const Op& op) {
    Container& c = containers_[op.id];
    if (!c.exists || (c.alive && c.started && !op.force) || (c.alive && op.runc_fails)) {
      return;
    }
    kill(c.pid);
    (void)tree()->remove(*CgroupPath::parse(cgroup_of(op.id)));
    std::filesystem::remove_all(host_ / "runc" / op.id);
    c = Container{};
  }

  // What runc update does to the cgroup.  False when it fails.
  bool runc_update(const Op& op) {
    Container& c = containers_[op.id];
    if (!c.exists || (op.runc_fails && !op.runc_fails_late)) {
      return false;
    }
    const bool was = armed_;
    armed_ = false;  // runc's own writes are not ours to crash
    const bool ok = static_cast<bool>(
        tree()->write(*CgroupPath::parse(cgroup_of(op.id)), "cpuset.cpus", op.cpus.to_string()));
    armed_ = was;
    if (ok) {
      c.cpus = op.cpus;
    }
    return ok && !op.runc_fails;
  }

  class FakeUpdateChild final : public RuntimeChild {
   public:
    FakeUpdateChild(World& world, ProcessRef process) : world_(world), process_(process) {}
    ~FakeUpdateChild() override { world_.kill(process_.pid); }
    FakeUpdateChild(const FakeUpdateChild&) = delete;
    FakeUpdateChild& operator=(const FakeUpdateChild&) = delete;
    FakeUpdateChild(FakeUpdateChild&&) = delete;
    FakeUpdateChild& operator=(FakeUpdateChild&&) = delete;
    [[nodiscard]] ProcessRef process() const override { return process_; }
    Expected<void> go() override {
      went_ = true;
      return {};
    }
    Expected<int> wait() override {
      if (!went_) {
        return 125;
      }
      return world_.while_updating();
    }

   private:
    World& world_;
    ProcessRef process_;
    bool went_ = false;
  };

  Expected<std::unique_ptr<RuntimeChild>> launch_update() {
    return std::unique_ptr<RuntimeChild>(std::make_unique<FakeUpdateChild>(*this, spawn()));
  }

  // The lock is free while runc update runs: another call may come in.
  int while_updating() {
    const Op& op = *current_update_;
    const bool moved = op.nested_after ? runc_update(op) : false;
    if (op.nested) {
      ++counts_.interleaved;
      const Fault fault = fault_;
      const int events = events_;
      const int saves = saves_;
      const bool was = armed_;
      step(*op.nested);
      fault_ = fault;
      events_ = events;
      saves_ = saves;
      armed_ = was;
    }
    if (op.nested_after) {
      return moved ? 0 : 1;
    }
    return runc_update(op) ? 0 : 1;
  }

  // --- steps -----------------------------------------------------------------

  // Each create has its own bundle, as containerd and CRI-O make them.
  std::string write_bundle(const Op& op) {
    nlohmann::json annotations = nlohmann::json::object();
    if (op.annotated) {
      annotations["cpu-load-balancing.crio.io"] = "disable";
    }
    if (op.tuned) {
      annotations["irq-load-balancing.crio.io"] = "disable";
      annotations["cpu-c-states.crio.io"] = "disable";
    }
    const nlohmann::json spec = {
        {"ociVersion", "1.0.2"},
        {"process", {{"args", {"sleep", "1"}}}},
        {"root", {{"path", "rootfs"}}},
        {"annotations", annotations},
        {"linux",
         {{"cgroupsPath", "/" + cgroup_of(op.id)},
          {"resources", {{"cpu", {{"cpus", op.cpus.to_string()}, {"shares", op.cpus.count() * 1024}}}}}}}};
    const std::string dir = "bundles/" + op.id + "-" + std::to_string(next_pid_++);
    host_.write_file(dir + "/config.json", spec.dump());
    return (host_ / dir).string();
  }

  void step(const Op& op) {
    ++counts_.steps;
    arm(op.fault);
    switch (op.kind) {
      case Kind::kCreate: {
        const std::string bundle = write_bundle(op);
        auto out = wrapper({"create", "--bundle", bundle, op.id});
        disarm();
        if (out && out->exec_runtime) {
          runc_create(op, bundle);
        }
        break;
      }
      case Kind::kStart: {
        auto out = wrapper({"start", op.id});
        disarm();
        Container& c = containers_[op.id];
        if (out && out->exec_runtime && c.exists && c.alive && !c.started) {
          c.started = true;
          std::filesystem::remove(host_ / "runc" / op.id / "exec.fifo");
        }
        break;
      }
      case Kind::kUpdate: {
        const Op* outer = current_update_;
        current_update_ = &op;
        auto out = wrapper({"update", "--cpuset-cpus", op.cpus.to_string(), op.id});
        current_update_ = outer;
        disarm();
        if (out && out->exec_runtime) {
          (void)runc_update(op);  // passed through: runc updates it itself
        }
        break;
      }
      case Kind::kDelete: {
        std::vector<std::string> args{"delete"};
        if (op.force) {
          args.emplace_back("--force");
        }
        args.push_back(op.id);
        auto out = wrapper(args);
        disarm();
        if (out && out->exec_runtime) {
          runc_delete(op);
        }
        break;
      }
      case Kind::kDie: {
        disarm();
        Container& c = containers_[op.id];
        if (c.alive) {
          kill(c.pid);
          c.alive = false;
        }
        break;
      }
      case Kind::kRuncStart: {
        disarm();
        Container& c = containers_[op.id];
        if (c.exists && c.alive && !c.started) {
          c.started = true;
          std::filesystem::remove(host_ / "runc" / op.id / "exec.fifo");
          // A container the wrapper holds no entry for (a refused start gave
          // its claim back) is beyond its promise once started around it.
          c.annotated = c.annotated && has_entry(op.id);
          c.tuned = c.tuned && has_entry(op.id);
        }
        break;
      }
      case Kind::kInvalidate: {
        disarm();
        if (!v1_) {
          intrude(op.id);
        }
        break;
      }
      case Kind::kReconcile: {
        Log log;
        Seams seams = seams_;
        seams.self = spawn();
        try {
          (void)reconcile_node(config_, log, seams);
        } catch (const Crash&) {
        }
        kill(seams.self->pid);
        disarm();
        break;
      }
    }
  }

  // --- invariants --------------------------------------------------------------

  static CpuSet claim_of(const LedgerEntry& e) {
    CpuSet claim = e.cpus;
    if (e.isolation) {
      claim |= e.isolation->cpus;
    }
    if (e.update) {
      claim |= e.update->to;
    }
    return claim;
  }

  // CPUs the kernel keeps out of load balancing (v1), or holds exclusive or
  // isolated for us (v2).
  CpuSet kernel_held() const {
    if (v1_) {
      return v1_fake_->unbalanced();
    }
    CpuSet held = v2_fake_->root_isolated() | v2_fake_->sched_null();
    for (const auto& [file, content] : v2_fake_->snapshot()) {
      if (file.ends_with("cpuset.cpus.exclusive")) {
        if (auto cpus = CpuSet::parse(content)) {
          held |= *cpus;
        }
      }
    }
    return held;
  }

  bool kernel_isolates(const LedgerEntry& e) const {
    if (v1_) {
      return v1_fake_->unbalanced().contains(e.cpus);
    }
    return e.isolation && v2_fake_->partition(e.isolation->cgroup) == "isolated" &&
           v2_fake_->root_isolated().contains(e.cpus);
  }

  std::map<std::string, std::string> kernel_snapshot() const {
    auto all = v1_ ? v1_fake_->snapshot() : v2_fake_->snapshot();
    all.merge(tuning_snapshot());
    return all;
  }

  // T1: a tuning's file reads otherwise than before only while some entry
  // records its change (recorded before it is written, kept until undone).
  std::string tuning_owned(const LedgerData& data) const {
    const auto before = initial_;
    for (const auto& [path, content] : tuning_snapshot()) {
      if (content == before.at(path)) {
        continue;
      }
      const std::string& file = path;  // (a structured binding cannot be captured before clang 16)
      const bool held = std::any_of(data.entries.begin(), data.entries.end(), [&](const LedgerEntry& e) {
        return std::any_of(e.tuning_changes.begin(), e.tuning_changes.end(),
                           [&](const TuningChange& c) { return c.file == file; });
      });
      if (!held) {
        return "T1: " + file + " reads " + content + " for no entry";
      }
    }
    return "";
  }

  // T2: a live isolated container's tunings are in the kernel.
  std::string tunings_in_place(const LedgerEntry& e) const {
    if (e.state != EntryState::kIsolated || e.tunings.empty()) {
      return "";
    }
    for (const unsigned cpu : e.cpus.cpus()) {
      if (host_.read_file(latency_file(cpu)) != "n/a\n") {
        return "T2: entry " + e.container_id + " is isolated with cpu-c-states=disable but CPU " +
               std::to_string(cpu) + " reads " + host_.read_file(latency_file(cpu));
      }
    }
    auto mask = parse_cpu_mask(host_.read_file("proc/irq/default_smp_affinity"));
    if (!mask || mask->intersects(e.cpus)) {
      return "T2: entry " + e.container_id + " keeps IRQs off CPUs " + e.cpus.to_string() +
             " but default_smp_affinity reads " + host_.read_file("proc/irq/default_smp_affinity");
    }
    return "";
  }

  std::string check_always() const {
    auto data = read_ledger_snapshot(config_.state_dir);
    if (!data) {
      return "the ledger does not parse: " + data.error().message;
    }
    if (auto orphan = tuning_owned(*data); !orphan.empty()) {
      return orphan;
    }
    CpuSet seen;
    for (const auto& e : data->entries) {
      const CpuSet claim = claim_of(e);
      if (seen.intersects(claim)) {
        return "I3: CPUs " + (seen & claim).to_string() + " claimed twice (again by " + e.container_id + ")";
      }
      seen |= claim;
    }
    return "";
  }

  bool has_entry(const std::string& id) const {
    auto data = read_ledger_snapshot(config_.state_dir);
    return data && std::any_of(data->entries.begin(), data->entries.end(),
                               [&](const LedgerEntry& e) { return e.container_id == id; });
  }

  // What makes 6.12 invalidate a partition: a sibling cgroup's cpuset.cpus
  // written over its CPUs.  While the intruder stays (until the next such
  // op), the kernel refuses the claim again: the container runs unisolated.
  void intrude(const std::string& id) {
    const Container& c = containers_[id];
    if (v2_fake_->exists(kIntruder)) {
      remove_intruder();
      return;
    }
    if (c.cpus.empty()) {
      return;
    }
    v2_fake_->add_cgroup(kIntruder.str());
    (void)v2_fake_->write(kIntruder, "cpuset.cpus", c.cpus.to_string());
  }

  void remove_intruder() {
    if (!v1_ && v2_fake_->exists(kIntruder)) {
      (void)v2_fake_->remove(kIntruder);
    }
  }

  // The kernel refuses to claim CPUs that a sibling cgroup runs only on
  // (v2 validate_change): the intruder, or another container on them.
  bool blocked(const std::string& id, const CpuSet& cpus) const {
    if (v1_) {
      return false;
    }
    if (v2_fake_->exists(kIntruder) && cpus.contains(v2_fake_->cpus_in(kIntruder.str()))) {
      return true;
    }
    for (const auto& [other, c] : containers_) {
      const std::string cg = cgroup_of(other);
      if (other != id && c.exists && v2_fake_->exists(*CgroupPath::parse(cg)) &&
          !v2_fake_->cpus_in(cg).empty() && cpus.contains(v2_fake_->cpus_in(cg))) {
        return true;
      }
    }
    return false;
  }

  std::string check_after_reconcile() {
    step(Op{});  // a clean reconcile: no faults
    auto data = read_ledger_snapshot(config_.state_dir);
    if (!data) {
      return "the ledger does not parse: " + data.error().message;
    }
    CpuSet owned;
    for (const auto& e : data->entries) {
      const Container& c = containers_[e.container_id];
      if (!c.exists || !c.alive) {
        return "I1/I4: entry " + e.container_id + " (" + std::string(to_string(e.state)) +
               ") outlived its container";
      }
      if (e.state == EntryState::kIsolating || e.state == EntryState::kReleasing || e.update) {
        return "I4: entry " + e.container_id + " still " + std::string(to_string(e.state)) +
               (e.update ? " with an update in flight" : "") + " after a clean reconcile";
      }
      if (auto missing = tunings_in_place(e); !missing.empty()) {
        return missing;
      }
      if (e.state == EntryState::kIsolated && e.cpuset_isolation && !kernel_isolates(e)) {
        return "I2: entry " + e.container_id + " says CPUs " + e.cpus.to_string() +
               " are isolated but the kernel balances them";
      }
      owned |= claim_of(e);
    }
    if (!owned.contains(kernel_held())) {
      return "I1: the kernel holds CPUs " + (kernel_held() - owned).to_string() + " for no live entry";
    }
    for (const auto& [id, c] : containers_) {
      if (!(c.exists && c.alive && c.started && (c.annotated || c.tuned)) ||
          (c.annotated && blocked(id, c.cpus))) {
        continue;  // (the kernel refuses while a sibling runs only on its CPUs)
      }
      const LedgerEntry* e = nullptr;
      for (const auto& x : data->entries) {
        e = x.container_id == id ? &x : e;
      }
      if (e == nullptr || e->state != EntryState::kIsolated || e->cpus != c.cpus) {
        return "I2: opted-in container " + id + " runs on CPUs " + c.cpus.to_string() +
               " without isolation (" +
               (e == nullptr ? std::string("no entry")
                             : std::string(to_string(e->state)) + " " + e->cpus.to_string()) +
               ")";
      }
    }
    return "";
  }

  std::string check_teardown() {
    remove_intruder();
    for (auto& [id, c] : containers_) {
      if (c.exists) {
        Op del;
        del.kind = Kind::kDelete;
        del.id = id;
        del.force = true;
        step(del);
      }
    }
    step(Op{});
    auto data = read_ledger_snapshot(config_.state_dir);
    if (!data || !data->entries.empty() || !(data->v1 == V1NodeRecord{})) {
      return "teardown: the ledger is not empty after every container went";
    }
    if (kernel_snapshot() != initial_) {
      return "teardown: the kernel's files are not back as they were (held: " + kernel_held().to_string() +
             ")";
    }
    return "";
  }

  inline static const CgroupPath kIntruder = *CgroupPath::parse("kubepods/intruder");

  bool v1_;
  Counts& counts_;
  TempDir host_;
  std::unique_ptr<FakeCgroupV1> v1_fake_;
  std::unique_ptr<FakeCgroupV2> v2_fake_;
  HostFacts facts_;
  Config config_;
  Seams seams_;
  std::string runc_root_;
  std::map<std::string, Container> containers_;
  std::map<std::string, std::string> initial_;
  const Op* current_update_ = nullptr;
  int next_pid_ = 1000;
  Fault fault_;
  bool armed_ = false;
  int events_ = 0;
  int saves_ = 0;
  int tuning_writes_ = 0;
  std::unique_ptr<FakeKernelFiles> files_;
};

// --- generation and shrinking --------------------------------------------------

Op random_op(std::mt19937_64& rng, bool allow_nested) {
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  static const Kind kWeighted[] = {Kind::kCreate,    Kind::kCreate,    Kind::kCreate, Kind::kStart,
                                   Kind::kStart,     Kind::kStart,     Kind::kUpdate, Kind::kUpdate,
                                   Kind::kDelete,    Kind::kDelete,    Kind::kDie,    Kind::kReconcile,
                                   Kind::kRuncStart, Kind::kInvalidate};
  Op op;
  op.kind = kWeighted[pick(std::size(kWeighted))];
  op.id = "c" + std::to_string(pick(4));
  const unsigned first = 2 + static_cast<unsigned>(pick(6));
  op.cpus = pick(3) == 0 && first < 7 ? CpuSet::range(first, first + 1) : CpuSet::of({first});
  op.annotated = pick(5) != 0;
  op.tuned = pick(3) == 0;
  op.force = pick(2) == 0;
  op.runc_fails = pick(6) == 0;
  op.runc_fails_late = op.runc_fails && pick(2) == 0;
  if (pick(3) == 0) {
    switch (pick(3)) {
      case 0:
        op.fault.crash_at = 1 + pick(std::array{3, 3, 3, 8, 8, 20}[static_cast<std::size_t>(pick(6))]);
        break;
      case 1:
        op.fault.fail_write = 1 + pick(8);
        break;
      default:
        op.fault.fail_save = 1 + pick(5);
        break;
    }
  }
  if (allow_nested && op.kind == Kind::kUpdate && pick(3) == 0) {
    Op nested = random_op(rng, false);
    nested.fault = Fault{};
    op.nested = std::make_shared<Op>(nested);
    op.nested_after = pick(2) == 0;
  }
  return op;
}

std::string run_fresh(bool v1, const std::vector<Op>& ops, Counts& counts) {
  World world(v1, counts);
  return world.run(ops);
}

// Greedy shrinking: drop steps, then faults, while the failure stays.
std::vector<Op> shrink(bool v1, std::vector<Op> ops) {
  Counts scratch;
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = ops.size(); i-- > 0;) {
      std::vector<Op> fewer = ops;
      fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
      if (!run_fresh(v1, fewer, scratch).empty()) {
        ops = std::move(fewer);
        changed = true;
      }
    }
    for (auto& op : ops) {
      for (auto* knob : {&op.fault.crash_at, &op.fault.fail_write, &op.fault.fail_save}) {
        if (*knob == 0) {
          continue;
        }
        const int kept = *knob;
        *knob = 0;
        if (run_fresh(v1, ops, scratch).empty()) {
          *knob = kept;
        } else {
          changed = true;
        }
      }
    }
  }
  return ops;
}

// The wrapper tells its caller why it refuses, on stderr: thousands of
// lines here.  Silenced while the model runs (gtest reports on stdout).
class QuietStderr {
 public:
  QuietStderr() : saved_(::dup(STDERR_FILENO)) {
    std::fflush(stderr);
    const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    ::dup2(null_fd, STDERR_FILENO);
    ::close(null_fd);
  }
  ~QuietStderr() {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;
  QuietStderr(QuietStderr&&) = delete;
  QuietStderr& operator=(QuietStderr&&) = delete;

 private:
  int saved_;
};

long env_number(const char* name, long fallback) {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
  return text != nullptr && *text != '\0' ? std::strtol(text, nullptr, 0) : fallback;
}

void run_model(bool v1) {
  // Every step saves the ledger with fsync: on tmpfs that costs nothing.
  if (std::filesystem::is_directory("/dev/shm")) {
    ::setenv("TMPDIR", "/dev/shm", 1);  // NOLINT(concurrency-mt-unsafe)
  }
  const auto seed = static_cast<std::uint64_t>(env_number("ISOLCPUS_MODEL_SEED", 0x15011CB5));
  const long sequences = env_number("ISOLCPUS_MODEL_SEQUENCES", 5000);
  Counts counts;
  const QuietStderr quiet;
  for (long n = 0; n < sequences; ++n) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(n));
    std::vector<Op> ops(4 + rng() % 7);
    for (auto& op : ops) {
      op = random_op(rng, true);
    }
    ++counts.sequences;
    const std::string broken = run_fresh(v1, ops, counts);
    if (!broken.empty()) {
      ++counts.violations;
      const std::vector<Op> minimal = shrink(v1, ops);
      std::string listing;
      for (const auto& op : minimal) {
        listing += "\n    " + describe(op);
      }
      Counts scratch;
      FAIL() << (v1 ? "cgroup v1" : "cgroup v2") << " model, seed " << seed << " + " << n << " ("
             << "ISOLCPUS_MODEL_SEED=" << seed + static_cast<std::uint64_t>(n)
             << " ISOLCPUS_MODEL_SEQUENCES=1"
             << "): " << broken << "\n  minimal sequence (" << run_fresh(v1, minimal, scratch)
             << "):" << listing;
    }
  }
  std::printf(
      "model (%s): %ld sequences, %ld steps, %ld crashes injected, %ld kernel write failures armed, %ld "
      "ledger save "
      "failures, %ld calls interleaved with runc update, %ld containers with tunings, %ld invariant "
      "violations\n",
      v1 ? "cgroup v1" : "cgroup v2", counts.sequences, counts.steps, counts.crashes, counts.write_failures,
      counts.save_failures, counts.interleaved, counts.tuned, counts.violations);
}

TEST(Model, CgroupV2RemotePartitionsKeepTheInvariants) { run_model(false); }

TEST(Model, CgroupV1SchedLoadBalanceKeepsTheInvariants) { run_model(true); }

// Exhaustive beside the random walk: in a lifecycle of two containers
// (create, start, update, interleaved create, delete), a crash at EVERY
// event of EVERY step, a failure of EVERY kernel write and of EVERY ledger
// save, one at a time.
void every_fault(bool v1) {
  const auto op = [](Kind kind, std::string id, CpuSet cpus = {}) {
    Op o;
    o.kind = kind;
    o.id = std::move(id);
    o.cpus = std::move(cpus);
    o.force = true;
    return o;
  };
  std::vector<Op> life{op(Kind::kCreate, "a", CpuSet::of({2})),
                       op(Kind::kStart, "a"),
                       op(Kind::kCreate, "b", CpuSet::range(4, 5)),
                       op(Kind::kStart, "b"),
                       op(Kind::kUpdate, "a", CpuSet::of({3})),
                       op(Kind::kDelete, "b"),
                       op(Kind::kDie, "a"),
                       op(Kind::kReconcile, "")};
  life[4].nested = std::make_shared<Op>(op(Kind::kCreate, "c", CpuSet::of({6})));
  life[0].tuned = true;  // load balancing, IRQs and C-states
  life[2].tuned = true;  // IRQs and C-states alone
  life[2].annotated = false;
  const QuietStderr quiet;
  long runs = 0;
  long hit = 0;
  for (std::size_t at = 0; at < life.size(); ++at) {
    for (int knob = 0; knob < 3; ++knob) {
      for (int n = 1;; ++n) {
        std::vector<Op> ops = life;
        Fault& f = ops[at].fault;
        (knob == 0 ? f.crash_at : knob == 1 ? f.fail_write : f.fail_save) = n;
        Counts counts;
        const std::string broken = run_fresh(v1, ops, counts);
        ++runs;
        ASSERT_EQ(broken, "") << describe(ops[at]) << " in step " << at + 1;
        const bool triggered = knob == 0   ? counts.crashes > 0
                               : knob == 2 ? counts.save_failures > 0
                                           : n <= 12;
        if (!triggered) {
          break;
        }
        ++hit;
      }
    }
  }
  std::printf("model (%s): every fault of one lifecycle: %ld runs, %ld faults hit, 0 invariant violations\n",
              v1 ? "cgroup v1" : "cgroup v2", runs, hit);
}

TEST(Model, CgroupV2EveryCrashWriteAndSaveFailureOfALifecycle) { every_fault(false); }

Op make_op(Kind kind, std::string id, CpuSet cpus = {}) {
  Op o;
  o.kind = kind;
  o.id = std::move(id);
  o.cpus = std::move(cpus);
  return o;
}

// Found by review: a second update while one is in flight, its runc landing
// last, left the container on CPUs nobody claimed.
TEST(Model, SecondUpdateDuringAnUpdateInFlightIsRefused) {
  for (const bool v1 : {false, true}) {
    Op create = make_op(Kind::kCreate, "a", CpuSet::of({2}));
    Op start = make_op(Kind::kStart, "a");
    Op update = make_op(Kind::kUpdate, "a", CpuSet::of({3}));
    update.nested = std::make_shared<Op>(make_op(Kind::kUpdate, "a", CpuSet::of({4})));
    update.nested_after = true;
    Counts counts;
    const QuietStderr quiet;
    EXPECT_EQ(run_fresh(v1, {create, start, update}, counts), "") << (v1 ? "v1" : "v2");
  }
}

// Found by review: an interrupted update of a created container settled on
// the old set although runc had moved it.
TEST(Model, InterruptedUpdateOfACreatedContainerSettlesOnTheSetItRunsOn) {
  for (const bool v1 : {false, true}) {
    for (int crash = 1; crash <= 12; ++crash) {
      Op create = make_op(Kind::kCreate, "a", CpuSet::of({2}));
      Op update = make_op(Kind::kUpdate, "a", CpuSet::of({3}));
      update.fault.crash_at = crash;
      Op start = make_op(Kind::kStart, "a");
      Counts counts;
      const QuietStderr quiet;
      EXPECT_EQ(run_fresh(v1, {create, update, start}, counts), "")
          << (v1 ? "v1" : "v2") << " crash " << crash;
    }
  }
}

TEST(Model, CgroupV1EveryCrashWriteAndSaveFailureOfALifecycle) { every_fault(true); }

}  // namespace
}  // namespace isolcpus
