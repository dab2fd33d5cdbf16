// start: isolate the container's CPUs, then let runc start the workload, so
// the workload's first instruction already runs on unbalanced CPUs.
#include "container_cgroup.hpp"
#include "steps.hpp"

namespace isolcpus {

Outcome on_start(Call& call, NodeSession& node) {
  auto l = node.ledger();
  if (!l) {
    return refuse_or_warn(call, "cannot consult the ledger: " + l.error().message);
  }
  const auto& id = *call.inv.container_id;
  LedgerEntry* entry = (*l)->find(call.inv.root, id);
  if (entry == nullptr || entry->state != EntryState::kDecided) {
    return {};  // not ours, or already isolated (a repeated start)
  }
  auto located = locate_container_cgroup(*entry, node);
  if (!located) {
    return refuse_or_warn(call, "cannot isolate CPUs " + entry->cpus.to_string() + " of container " + id +
                                    ": " + located.error().message);
  }
  const std::string cpus = entry->cpus.to_string();
  auto isolated = node.isolate(call.inv.root, id, located->path);
  if (!isolated) {
    const std::string reason = "cannot isolate CPUs " + cpus + " of container " + id + " in cgroup " +
                               located->path.str() + ": " + isolated.error().message;
    if (call.config.on_failure == OnFailure::kWarn) {
      // Running unisolated: nothing to track any more.
      node.release(call.inv.root, id);
    }
    return refuse_or_warn(call, reason);
  }
  entry = (*l)->find(call.inv.root, id);
  if (entry != nullptr && located->init.init_pid > 0) {
    entry->init_pid = located->init.init_pid;
    entry->init_start_ticks = located->init.init_start_ticks;
    if (auto ok = (*l)->commit(); !ok) {
      call.log.warn("cannot record the init process of container " + id + ": " + ok.error().message);
    }
  }
  return {};
}

}  // namespace isolcpus
