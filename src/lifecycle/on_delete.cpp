// delete: give the CPUs back, then let runc delete.  Idempotent: a second
// delete, or the delete of a container never isolated, finds no entry.
// Releasing never fails a delete.
#include "exit_watcher.hpp"
#include "steps.hpp"

namespace isolcpus {

Outcome on_delete(Call& call, NodeSession& node, const CallInputs& /*in*/) {
  auto l = node.ledger();
  if (!l) {
    call.log.error("cannot consult the ledger to release container " + *call.inv.container_id + ": " +
                   l.error().message);
    return {};
  }
  const std::string& id = *call.inv.container_id;
  const LedgerEntry* entry = (*l)->find(call.inv.root, id);
  if (entry == nullptr) {
    return {};
  }
  const bool alive = node.container_alive(*entry);
  // Without --force runc refuses to delete a running container; releasing
  // here would leave it running unisolated.
  if (!call.inv.force && entry->isolation && alive) {
    call.log.info("container " + id + " still runs and delete has no --force: keeping its CPUs isolated");
    return {};
  }
  if (alive) {
    // runc kills it next, but may fail to: the entry keeps its CPUs claimed
    // until a later call finds the container gone (and isolates it again if
    // it still runs).  A watcher makes that call the moment `runc delete`
    // exits.
    node.unisolate(call.inv.root, id);
    spawn_exit_watcher(call);
    return {};
  }
  node.release(call.inv.root, id);
  return {};
}

}  // namespace isolcpus
