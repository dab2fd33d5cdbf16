// delete: give the CPUs back, then let runc delete.  Idempotent: a second
// delete, or the delete of a container never isolated, finds no entry.
// Releasing never fails a delete.
#include "exit_watcher.hpp"
#include "steps.hpp"

namespace isolcpus {

Outcome on_delete(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& /*in*/) {
  const std::string& id = *call.inv.container_id;
  // Without --force runc refuses to delete a running container; releasing
  // here would leave it running unisolated.
  switch (node.release_container(ledger, call.inv.root, id,
                                 {.stopped_init = 0, .keep_isolation_while_alive = !call.inv.force})) {
    case Released::kKept:
      // runc refuses to delete a running container without --force, but
      // deletes a created one (it kills its init): the watcher gives the
      // CPUs back the moment `runc delete` exits, if the container is gone.
      call.log.info("container " + id +
                    " still exists and delete has no --force: keeping its CPUs isolated "
                    "until runc has deleted it");
      watch_runtime_exit(call.config, node.seams());
      return {};
    case Released::kUnisolated:
      // runc kills it next, but may fail to: the entry keeps its CPUs claimed
      // until a later call finds the container gone (and isolates it again if
      // it still runs).  A watcher makes that call the moment `runc delete`
      // exits.
      watch_runtime_exit(call.config, node.seams());
      return {};
    case Released::kNothing:
    case Released::kReleased:
      return {};
  }
  return {};
}

}  // namespace isolcpus
