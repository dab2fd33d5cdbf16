// NodeSession: the host state one invocation works on (ledger, probed host,
// isolator), opened lazily so a call that needs none of it pays for none.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/config.hpp"
#include "isolcpus/host.hpp"
#include "isolcpus/isolator.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/lifecycle.hpp"
#include "isolcpus/log.hpp"

namespace isolcpus {

class NodeSession {
 public:
  NodeSession(const Config& config, Log& log);

  Expected<Ledger*> ledger();
  Expected<Isolator*> isolator();
  Expected<const HostFacts*> host();
  Expected<CgroupTree*> tree();
  [[nodiscard]] std::filesystem::path proc() const;

  // CPUs no new container may take: claimed by any entry (decided or
  // isolated) except `self`, plus those isolated at boot.
  Expected<CpuSet> claimed_cpus(const LedgerEntry* self);

  // Isolates the entry for (root, id), whose cpus are already recorded, in
  // `cgroup`.  Plan, persist, apply, persist: a crash in between is undone by
  // the next reconcile.  On failure the entry is back to kDecided.
  Expected<void> isolate(std::string_view root, std::string_view id, const CgroupPath& cgroup);

  // Releases and forgets the entry for (root, id).  Never fails: problems
  // are logged.  A no-op for unknown containers.
  void release(std::string_view root, std::string_view id);

  // Releases the kernel side but keeps the entry as a decision (kDecided),
  // for `update`, which re-isolates a new set afterwards.
  void unisolate(std::string_view root, std::string_view id);

  // Gives back what dead containers hold, completes or undoes half-done
  // work, and (v1) re-asserts the invariant.  Cheap when nothing is isolated.
  ReconcileReport reconcile();

  // cgroup v1 with at least one container isolated: new cpusets can undo it.
  bool v1_isolation_active();

  // True while the container still exists (init alive, or not yet created
  // and decided recently).
  bool container_alive(const LedgerEntry& entry);

 private:
  IsolationContext context_for(const LedgerEntry* self);
  void persist(std::string_view what);

  const Config& config_;
  Log& log_;
  std::optional<Ledger> ledger_;
  std::optional<HostFacts> host_;
  std::unique_ptr<CgroupTree> tree_;
  std::unique_ptr<Isolator> isolator_;
};

}  // namespace isolcpus
