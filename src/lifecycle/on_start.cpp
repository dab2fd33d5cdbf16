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
Outcome decide_late(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in) {
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
  auto decided = decide_for_bundle(call, node, &ledger, live);
  if (!decided) {
    return decided.outcome;
  }
  call.log.info("container " + *call.inv.container_id + " had no decision at start: decided from bundle " +
                in.bundle);
  return record_decision(call, node, ledger, decided, in.bundle);
}

// runc's record of the container: its init and the cgroup it is in.
Expected<LocatedContainer> from_runc_state(NodeSession& node, const LedgerEntry& entry) {
  auto located = locate_container_cgroup(entry, node);
  if (!located) {
    return located.error();
  }
  return LocatedContainer{.cgroup = located->path,
                          .init = ProcessRef{located->init.init_pid, located->init.init_start_ticks},
                          .workload = located->workload};
}

}  // namespace

Outcome on_start(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in) {
  const auto& root = call.inv.root;
  const auto& id = *call.inv.container_id;
  if (ledger.find(root, id) == nullptr) {
    if (Outcome late = decide_late(call, node, ledger, in); !late.exec_runtime) {
      return late;
    }
  }
  const LedgerEntry* entry = ledger.find(root, id);
  if (entry == nullptr || entry->state != EntryState::kDecided || entry->init_pid > 0) {
    return {};  // not ours, or already isolated (a repeated start)
  }
  // A refused start gives its claim back at once (the engine does): the
  // kubelet retries under a new container id, which must find the CPUs free.
  auto isolated = node.isolate_container(ledger, root, id, nullptr,
                                         [&](const LedgerEntry& e) { return from_runc_state(node, e); });
  return isolated ? Outcome{} : refuse_or_warn(call, isolated.error().message);
}

}  // namespace isolcpus
