// start: isolate the container's CPUs, then let runc start the workload, so
// the workload's first instruction already runs on unbalanced CPUs.
#include "container_cgroup.hpp"
#include "decide_for_bundle.hpp"
#include "steps.hpp"

namespace isolcpus {
namespace {

// No decision for this container: its create went through an older wrapper
// or the decision was lost.  Decide now from the bundle runc recorded,
// rather than let an opted-in container start balanced without a word.
Outcome decide_late(Call& call, NodeSession& node, const CallInputs& in) {
  if (!in.spec || !*in.spec) {
    return {};  // runc has no such container, or it is not ours to judge
  }
  // config.json is as create saw it; a `runc update` since then moved the
  // container, and its cgroup says where it runs now.
  CallInputs live = in;
  LedgerEntry probe;
  probe.runc_root = call.inv.root;
  probe.container_id = *call.inv.container_id;
  probe.cgroups_path = (*in.spec)->cgroups_path;
  probe.systemd_cgroup = call.inv.systemd_cgroup;
  auto located = locate_container_cgroup(probe, node);
  auto iso = node.isolator();
  if (located && iso) {
    if (auto cpus = (*iso)->container_cpus(located->path); cpus && !cpus->empty()) {
      (*live.spec)->cpus = *cpus;
      (*live.spec)->shares = cpus->count() * 1024;
    }
  }
  auto decided = decide_for_bundle(call, node, live);
  if (!decided) {
    return decided.outcome;
  }
  call.log.info("container " + *call.inv.container_id + " had no decision at start: decided from bundle " +
                in.bundle);
  return record_decision(call, node, *decided.decision, *decided.spec, in.bundle);
}

}  // namespace

Outcome on_start(Call& call, NodeSession& node, const CallInputs& in) {
  auto l = node.ledger();
  if (!l) {
    return refuse_or_warn(call, "cannot consult the ledger: " + l.error().message);
  }
  const auto& id = *call.inv.container_id;
  if ((*l)->find(call.inv.root, id) == nullptr) {
    if (Outcome late = decide_late(call, node, in); !late.exec_runtime) {
      return late;
    }
  }
  LedgerEntry* entry = (*l)->find(call.inv.root, id);
  if (entry == nullptr || entry->state != EntryState::kDecided || entry->init_pid > 0) {
    return {};  // not ours, or already isolated (a repeated start)
  }
  // A refused start gives its claim back at once: the kubelet retries under
  // a new container id, which must find the CPUs free.
  const auto refuse = [&](const std::string& reason) {
    node.release(call.inv.root, id);
    return refuse_or_warn(call, reason);
  };
  if (entry->update) {
    // Not ours to release: the update's wrapper finishes it.
    return refuse_or_warn(call,
                          "cannot isolate container " + id + ": a `runc update` of its CPUs is under way");
  }
  auto located = locate_container_cgroup(*entry, node);
  if (!located) {
    return refuse("cannot isolate CPUs " + entry->cpus.to_string() + " of container " + id + ": " +
                  located.error().message);
  }
  const std::string cpus = entry->cpus.to_string();
  if (auto isolated = node.isolate(call.inv.root, id, located->path); !isolated) {
    return refuse("cannot isolate CPUs " + cpus + " of container " + id + " in cgroup " +
                  located->path.str() + ": " + isolated.error().message);
  }
  entry = (*l)->find(call.inv.root, id);
  if (entry != nullptr && located->init.init_pid > 0) {
    entry->init_pid = located->init.init_pid;
    entry->init_start_ticks = located->init.init_start_ticks;
    (void)node.save("the init process");
  }
  return {};
}

}  // namespace isolcpus
