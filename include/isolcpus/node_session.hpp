// NodeSession: the engine.  It holds the host state one invocation works on
// (ledger, probed host, isolator), opened lazily so a call that needs none
// of it pays for none, and it is the one isolate and release path of every
// adapter: the wrapper's runc calls (src/lifecycle/on_*.cpp) and the OCI
// hook (src/ctl/hook.cpp).
//
// It keeps the ledger and the kernel in agreement (docs/INVARIANTS.md):
// every kernel change is recorded before it is made and every record is
// cleared only once the kernel let go, so a crash or a failed write at any
// point leaves a ledger from which reconcile() restores the invariants.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/config.hpp"
#include "isolcpus/container_spec.hpp"
#include "isolcpus/dispatch.hpp"
#include "isolcpus/host_probe.hpp"
#include "isolcpus/isolator.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/policy.hpp"
#include "isolcpus/seams.hpp"
#include "isolcpus/tuner.hpp"

namespace isolcpus {

// runc's own rule for container ids, checked before an id becomes a path
// (runc's state dir, a ledger key): an adapter leaves other ids to runc.
bool valid_container_id(std::string_view id);

// A container the policy chose to isolate, not recorded yet.
struct NewDecision {
  const ContainerSpec& spec;
  const Decision& decision;  // kIsolate
  std::string_view bundle;
  bool systemd_cgroup = false;
  // Its init, when the runtime made it already (the hook): hook entries have
  // no runtime state for reconcile to read liveness from.
  ProcessRef init;
};

// Where a container's cgroup is, and its init process once known.
struct LocatedContainer {
  CgroupPath cgroup;
  ProcessRef init;  // empty: not known (yet)
  // Where its processes run, when that is below `cgroup` (crun's subgroup
  // of its scope on cgroup v2): its CFS quota is the container's too.
  std::optional<CgroupPath> workload;
};
// Each adapter finds the cgroup its own way: the wrapper from runc's state or
// the cgroup it makes before runc runs, the hook from the init's /proc entry.
using ContainerLocator = std::function<Expected<LocatedContainer>(const LedgerEntry&)>;

struct ReleaseRequest {
  // The init the caller saw stop (the hook's poststop): its entry is released
  // even while the process lingers.  0: not known.
  int stopped_init = 0;
  // The caller's runtime will not remove a live container (delete without
  // --force): a live container keeps its isolation.
  bool keep_isolation_while_alive = false;
};

enum class Released {
  kNothing,     // no entry: never isolated, or released already
  kReleased,    // kernel side undone (or left kReleasing for reconcile) and the entry forgotten
  kUnisolated,  // still alive: the kernel side is undone, the claim kept until it is gone
  kKept,        // still alive and isolated, as it must stay
};

class NodeSession {
 public:
  NodeSession(const Config& config, Log& log, const Seams& seams = {});

  // Opens (and locks) the ledger on first use; again after unlock().  A
  // failure is the answer for the rest of the call (until unlock()): the
  // lock timeout is waited once.
  Expected<Ledger*> ledger();
  Expected<Isolator*> isolator();
  Expected<const HostFacts*> host();
  Expected<CgroupTree*> tree();
  Expected<Tuner*> tuner();
  [[nodiscard]] std::filesystem::path proc() const;
  [[nodiscard]] const Seams& seams() const { return seams_; }
  [[nodiscard]] const Config& config() const { return config_; }
  void set_label(std::string label) { label_ = std::move(label); }

  // Lets go of the node lock (unsaved changes are dropped), so a child
  // process can run without holding up every other call on the node.  A
  // Ledger& taken before is dangling after.
  void unlock() {
    ledger_.reset();
    ledger_error_.reset();
  }

  // ---- The engine's entry points, for every adapter.  The ledger is open. ----

  // The policy applied to this node as it is now: its online CPUs, and every
  // CPU claimed by another container or isolated at boot (an earlier entry
  // of the same root and id does not count against itself: ids are reused).
  // A node that cannot be read fails only the containers that want
  // isolation; the others get their skip.
  Expected<Decision> decide(const ContainerSpec& spec, std::string_view root, std::string_view id);

  // Records a kIsolate decision for (root, id).  An entry left under that id
  // by a dead container is released first; one a live container holds (ids
  // reused across runtimes) is an error and keeps what it has.
  Expected<void> record(Ledger& ledger, std::string_view root, std::string_view id,
                        const NewDecision& decided);

  // The one isolate path: records `decided` (when given; null: recorded
  // already, by create), locates the cgroup, isolates, records the init.
  // Any failure gives the claim back (so a retry under a new id finds the
  // CPUs free), except while an update of its CPUs is in flight, which is
  // that update's to settle.  Errors are whole sentences for the adapter's
  // failure policy.
  Expected<void> isolate_container(Ledger& ledger, std::string_view root, std::string_view id,
                                   const NewDecision* decided, const ContainerLocator& locate);

  // The one release path: forgets a gone container's claim, undoes a live
  // one's isolation but keeps its claim, or keeps it all (see ReleaseRequest).
  Released release_container(Ledger& ledger, std::string_view root, std::string_view id,
                             const ReleaseRequest& request);

  // A process as liveness records name it (pid and start time).
  ProcessRef process(int pid);
  // The cpuset cgroup a live process is in (the hook's container init).
  Expected<LocatedContainer> locate_by_process(int pid);

  // Saves the ledger.  Every save goes through here (crash and full-disk
  // seams included).
  Expected<void> save(std::string_view what);

  // This process, for liveness records.
  ProcessRef self();
  bool process_alive(const ProcessRef& p);

  // CPUs no new container may take: claimed by any entry (decided,
  // isolated, releasing, or the target of an update in flight) except
  // `self`, plus those isolated at boot.
  Expected<CpuSet> claimed_cpus(const LedgerEntry* self);

  // Isolates the entry for (root, id), whose cpus are already recorded, in
  // `cgroup`: plan, save, apply, save.  On any failure, the kernel work is
  // undone before returning (a save that fails after apply included) and
  // the entry is back to kDecided, or kReleasing with what the kernel kept.
  Expected<void> isolate(std::string_view root, std::string_view id, const CgroupPath& cgroup);
  // `workload`: where the container's processes run, for its tunings.
  Expected<void> isolate(std::string_view root, std::string_view id, const CgroupPath& cgroup,
                         const CgroupPath& workload);

  // Releases the kernel side and keeps the entry (kDecided, its CPUs still
  // claimed).  False when something is left: the entry is then kReleasing
  // with exactly what is left, and every later reconcile retries it.
  bool unisolate(std::string_view root, std::string_view id);

  // Releases and forgets the entry.  False when the kernel kept something:
  // the entry stays, kReleasing.  True for unknown containers.
  bool release(std::string_view root, std::string_view id);

  // Gives back what dead containers hold, completes or undoes half-done
  // work, settles interrupted updates, isolates again a started container
  // that lost its isolation, and (v1) re-asserts the invariant.
  ReconcileReport reconcile();

  // cgroup v1 with at least one container isolated: new cpusets can undo it.
  bool v1_isolation_active();

  // True while the container still exists: its init (or `runc run`) lives,
  // runc's state shows a live init, or the process that decided it (which
  // becomes `runc create`) still runs.
  bool container_alive(const LedgerEntry& entry);

  // The init process of a container recorded as created (no init yet) that
  // runc reports started: its `runc start` went around the wrapper.
  std::optional<ProcessRef> started_around_us(const LedgerEntry& entry);

  // The set an update left the container on: what its cgroup runs on when
  // that is one of the two, else `fallback`.
  CpuSet update_winner(const LedgerEntry& entry, const UpdateInFlight& update, const CpuSet& fallback);

 private:
  IsolationContext context_for(const LedgerEntry* self);
  void step(const std::string& name) const;  // the crash seam
  // Undoes what `entry->isolation` holds in the kernel; updates the entry
  // (kDecided when all is undone, kReleasing with what is left) in memory.
  bool undo_kernel(LedgerEntry& entry);
  bool undo_cpuset(LedgerEntry& entry);
  bool undo_tunings(LedgerEntry& entry);
  // What every entry but `self` holds of the tunings now (in the kernel or about to be).
  std::vector<TuningChange> tunings_held_by_others(const LedgerEntry* self) const;
  Expected<std::optional<Isolation>> record_plan(LedgerEntry& entry, Isolator& iso, const CgroupPath& cgroup,
                                                 const CgroupPath& workload, IsolationContext& ctx);
  Expected<std::vector<TuningChange>> plan_tunings(const LedgerEntry& entry, const CgroupPath& cgroup);
  Expected<void> apply_tunings(LedgerEntry& entry);
  void settle_update(const std::string& root, const std::string& id, ReconcileReport& report);
  void reconcile_entry(const std::string& root, const std::string& id, ReconcileReport& report);
  // Completes or undoes an interrupted isolation or release; false when the
  // kernel still holds part of it (retried by the next reconcile).
  bool finish_half_done(LedgerEntry& e, bool alive, ReconcileReport& report);
  void keep_live_isolated(const std::string& root, const std::string& id, ReconcileReport& report);
  void isolate_again(const std::string& root, const std::string& id, ReconcileReport& report);
  void erase(std::string_view root, std::string_view id);
  bool kernel_kept(const LedgerEntry& entry);
  CpuSet isolated_by_others();
  void enforce_node(ReconcileReport& report);
  void enforce_tunings(ReconcileReport& report);  // what live containers' tunings hold
  void extend_irq_tunings(LedgerEntry& entry, ReconcileReport& report);
  void forget_vanished_irqs(ReconcileReport& report);
  // The CPUs IRQ tunings hold, to irqbalance's socket; true when it was
  // told something new (recorded in memory, saved by the caller).
  bool sync_irqbalance();
  bool tell_irqbalance_sockets(const std::vector<std::string>& sockets, const CpuSet& banned);

  const Config& config_;
  Log& log_;
  Seams seams_;
  std::string label_;
  std::optional<Ledger> ledger_;
  std::optional<Error> ledger_error_;
  std::optional<HostFacts> host_;
  std::unique_ptr<CgroupTree> tree_;
  CgroupTree* tree_in_use_ = nullptr;
  std::unique_ptr<Isolator> isolator_;
  std::unique_ptr<KernelFiles> files_;
  std::unique_ptr<Tuner> tuner_;
};

}  // namespace isolcpus
