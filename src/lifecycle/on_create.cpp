// create: read the bundle's config.json, decide, and record the
// decision.  Nothing changes in the kernel yet: the container's cgroup and
// init process exist only once `runc create` has run, and `start` isolates
// before the workload's first instruction.
#include <chrono>

#include "decide_for_bundle.hpp"
#include "steps.hpp"

namespace isolcpus {

Outcome on_create(Call& call, NodeSession& node) {
  auto decided = decide_for_bundle(call, node);
  if (!decided) {
    return decided.outcome;
  }
  return record_decision(call, node, *decided.decision, *decided.spec);
}

}  // namespace isolcpus
