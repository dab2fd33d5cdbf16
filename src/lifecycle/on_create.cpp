// create: decide on the bundle's config.json (read before the lock) and
// record the decision.  Nothing changes in the kernel yet: the container's
// cgroup and init process exist only once `runc create` has run, and `start`
// isolates before the workload's first instruction.
#include "decide_for_bundle.hpp"
#include "exit_watcher.hpp"
#include "steps.hpp"

namespace isolcpus {

Outcome on_create(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in) {
  auto decided = decide_for_bundle(call, node, &ledger, in);
  const Outcome outcome = decided ? record_decision(call, node, ledger, decided, in.bundle) : decided.outcome;
  // cgroup v1: the cpuset `runc create` is about to make starts with
  // sched_load_balance=1 and, when it overlaps isolated CPUs (a pod
  // sandbox takes the pod's whole cpuset), balances them again until a
  // wrapper call notices.  A watcher re-asserts the invariant the moment
  // runc create exits, so the window is runc create's own run time.
  if (outcome.exec_runtime && node.v1_isolation_active()) {
    watch_runtime_exit(call.config, node.seams());
  }
  return outcome;
}

}  // namespace isolcpus
