// NodeSession: the host state one invocation works on (ledger, probed host,
// isolator), opened lazily so a call that needs none of it pays for none.
//
// It keeps the ledger and the kernel in agreement (docs/INVARIANTS.md):
// every kernel change is recorded before it is made and every record is
// cleared only once the kernel let go, so a crash or a failed write at any
// point leaves a ledger from which reconcile() restores the invariants.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/config.hpp"
#include "isolcpus/dispatch.hpp"
#include "isolcpus/host_probe.hpp"
#include "isolcpus/isolator.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/seams.hpp"

namespace isolcpus {

class NodeSession {
 public:
  NodeSession(const Config& config, Log& log, const Seams& seams = {});

  // Opens (and locks) the ledger on first use; again after unlock().
  Expected<Ledger*> ledger();
  Expected<Isolator*> isolator();
  Expected<const HostFacts*> host();
  Expected<CgroupTree*> tree();
  [[nodiscard]] std::filesystem::path proc() const;
  [[nodiscard]] const Seams& seams() const { return seams_; }
  [[nodiscard]] const Config& config() const { return config_; }
  void set_label(std::string label) { label_ = std::move(label); }

  // Lets go of the node lock (unsaved changes are dropped), so a child
  // process can run without holding up every other call on the node.
  void unlock() { ledger_.reset(); }

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
  void settle_update(const std::string& root, const std::string& id, ReconcileReport& report);
  void reconcile_entry(const std::string& root, const std::string& id, ReconcileReport& report);
  void isolate_again(const std::string& root, const std::string& id, ReconcileReport& report);
  void erase(std::string_view root, std::string_view id);
  bool kernel_kept(const LedgerEntry& entry);
  CpuSet isolated_by_others();
  void enforce_node(ReconcileReport& report);

  const Config& config_;
  Log& log_;
  Seams seams_;
  std::string label_;
  std::optional<Ledger> ledger_;
  std::optional<HostFacts> host_;
  std::unique_ptr<CgroupTree> tree_;
  CgroupTree* tree_in_use_ = nullptr;
  std::unique_ptr<Isolator> isolator_;
};

}  // namespace isolcpus
