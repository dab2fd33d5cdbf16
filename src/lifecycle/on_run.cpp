// run (create + start in one call, used by people and scripts) and restore
// (a checkpointed workload resumes at once, no `start` follows): the workload
// starts inside runc with no hook for us in between, so the cgroup is made
// and isolated BEFORE runc runs, and runc joins it.  The wrapper still execs
// runc in place, so stdio, the console, signals and the exit status are
// runc's own.  A foreground run's CPUs come back when runc exits (exit
// watcher); a detached one's at delete, like create/start.
#include <unistd.h>

#include "container_cgroup.hpp"
#include "decide_for_bundle.hpp"
#include "exit_watcher.hpp"
#include "isolcpus/prepare_cgroup.hpp"
#include "runc_state.hpp"
#include "steps.hpp"

namespace isolcpus {
namespace {

// The cgroup runc will make, made now with the container's CPUs so the
// isolation is in place when runc joins it.  This process becomes runc: it
// is the container's owner while it lives.
Expected<LocatedContainer> prepare_cgroup(const Call& call, NodeSession& node,
                                          const BundleDecision& decided) {
  auto cgroup =
      cgroup_runc_would_use(decided.spec->cgroups_path, call.inv.systemd_cgroup, *call.inv.container_id, node,
                            runtime_kind(call.runtime), decided.spec->annotations);
  if (!cgroup) {
    return make_error("cgroupsPath \"" + decided.spec->cgroups_path + "\": " + cgroup.error().message);
  }
  auto tree = node.tree();
  auto facts = node.host();
  if (!tree || !facts) {
    return make_error(!tree ? tree.error().message : facts.error().message);
  }
  if (auto ok = prepare_cgroup(**tree, (*facts)->mode, *cgroup, decided.decision->cpus, decided.spec->mems);
      !ok) {
    return make_error("cannot prepare cgroup " + cgroup->str() + ": " + ok.error().message);
  }
  const int self = static_cast<int>(::getpid());
  // crun's subgroup is not made yet: its quota is what crun writes later.
  return LocatedContainer{.cgroup = *cgroup,
                          .init = ProcessRef{self, process_start_ticks(node.proc(), self).value_or(0)},
                          .workload = std::nullopt};
}

}  // namespace

Outcome on_run(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in) {
  auto decided = decide_for_bundle(call, node, &ledger, in);
  if (!decided) {
    return decided.outcome;
  }
  const NewDecision what = new_decision(call, decided, in.bundle);
  auto isolated =
      node.isolate_container(ledger, call.inv.root, *call.inv.container_id, &what,
                             [&](const LedgerEntry&) { return prepare_cgroup(call, node, decided); });
  if (!isolated) {
    return refuse_or_warn(call, isolated.error().message);
  }
  if (!call.inv.detach) {
    watch_runtime_exit(call.config, node.seams());
  }
  return {};
}

}  // namespace isolcpus
