// delete: give the CPUs back, then let runc delete.  Idempotent: a second
// delete, or the delete of a container never isolated, finds no entry.
// Releasing never fails a delete.
#include "steps.hpp"

namespace isolcpus {

Outcome on_delete(Call& call, NodeSession& node) {
  auto l = node.ledger();
  if (!l) {
    call.log.error("cannot consult the ledger to release container " + *call.inv.container_id + ": " +
                   l.error().message);
    return {};
  }
  const LedgerEntry* entry = (*l)->find(call.inv.root, *call.inv.container_id);
  if (entry == nullptr) {
    return {};
  }
  // Without --force runc refuses to delete a running container; releasing
  // here would leave it running unisolated.
  if (!call.inv.force && entry->isolation && node.container_alive(*entry)) {
    call.log.info("container " + *call.inv.container_id +
                  " still runs and delete has no --force: keeping its CPUs isolated");
    return {};
  }
  node.release(call.inv.root, *call.inv.container_id);
  return {};
}

}  // namespace isolcpus
