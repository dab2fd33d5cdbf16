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

Outcome on_run(Call& call, NodeSession& node, const CallInputs& in) {
  auto decided = decide_for_bundle(call, node, in);
  if (!decided) {
    return decided.outcome;
  }
  Outcome recorded = record_decision(call, node, *decided.decision, *decided.spec, in.bundle);
  const std::string& root = call.inv.root;
  const std::string& id = *call.inv.container_id;
  auto l = node.ledger();
  if (!l || (*l)->find(root, id) == nullptr) {
    return recorded;
  }
  auto fail = [&](const std::string& why) {
    const std::string reason =
        "cannot isolate CPUs " + decided.decision->cpus.to_string() + " of container " + id + ": " + why;
    node.release(root, id);
    return refuse_or_warn(call, reason);
  };
  auto cgroup = cgroup_runc_would_use(decided.spec->cgroups_path, call.inv.systemd_cgroup, id, node,
                                      runtime_kind(call.runtime));
  if (!cgroup) {
    return fail("cgroupsPath \"" + decided.spec->cgroups_path + "\": " + cgroup.error().message);
  }
  auto tree = node.tree();
  auto facts = node.host();
  if (!tree || !facts) {
    return fail(!tree ? tree.error().message : facts.error().message);
  }
  if (auto ok = prepare_cgroup(**tree, (*facts)->mode, *cgroup, decided.decision->cpus, decided.spec->mems);
      !ok) {
    return fail("cannot prepare cgroup " + cgroup->str() + ": " + ok.error().message);
  }
  if (auto ok = node.isolate(root, id, *cgroup); !ok) {
    return fail(ok.error().message);
  }
  // This process becomes runc: it is the container's owner while it lives.
  if (LedgerEntry* entry = (*l)->find(root, id); entry != nullptr) {
    entry->init_pid = static_cast<int>(::getpid());
    entry->init_start_ticks = process_start_ticks(node.proc(), entry->init_pid).value_or(0);
    (void)node.save("the runc run process");
  }
  if (!call.inv.detach) {
    watch_runtime_exit(call.config, node.seams());
  }
  return {};
}

}  // namespace isolcpus
