#include "decide_for_bundle.hpp"

#include <algorithm>
#include <chrono>

#include "isolcpus/caller_log.hpp"
#include "runc_state.hpp"

namespace isolcpus {

BundleDecision decide_for_bundle(Call& call, NodeSession& node) {
  BundleDecision result;
  const auto& id = *call.inv.container_id;
  if (!valid_container_id(id)) {
    call.log.info("container id \"" + id + "\" is not valid for runc; leaving the verdict to runc");
    return result;
  }
  auto spec = read_container_spec(call.inv.bundle);
  if (!spec) {
    // runc will fail on the same file and say so in its own words.
    call.log.warn("cannot read the bundle's spec, not isolating: " + spec.error().message);
    return result;
  }
  const PolicyConfig policy = policy_config(call.config);
  HostCpus host;
  if (auto facts = node.host(); facts) {
    host.online = (*facts)->online;
  }
  auto claimed = node.claimed_cpus(nullptr);
  if (!claimed) {
    result.outcome = refuse_or_warn(call, "cannot consult the ledger: " + claimed.error().message);
    return result;
  }
  host.isolated = *claimed;
  // A stale entry of the same id (a container re-created under its old id)
  // must not count against itself.
  if (auto l = node.ledger(); l) {
    if (const LedgerEntry* old = (*l)->find(call.inv.root, id); old != nullptr) {
      host.isolated -= old->cpus;
    }
  }
  Decision decision = decide(*spec, policy, host);
  for (const auto& w : decision.warnings) {
    call.log.warn("container " + id + ": " + w);
    append_caller_log(call.inv, "warning", w);
  }
  switch (decision.verdict) {
    case Verdict::kSkip:
      call.log.debug("container " + id + " not isolated: " + decision.reason);
      return result;
    case Verdict::kRefuse:
      result.outcome =
          refuse_or_warn(call, "refusing to isolate CPUs of container " + id + ": " + decision.reason);
      return result;
    case Verdict::kIsolate:
      break;
  }
  result.spec = std::move(*spec);
  result.decision = std::move(decision);
  return result;
}

Outcome record_decision(Call& call, NodeSession& node, const Decision& decision, const ContainerSpec& spec) {
  auto l = node.ledger();
  if (!l) {
    return refuse_or_warn(call, "cannot record the isolation decision: " + l.error().message);
  }
  const auto& id = *call.inv.container_id;
  // An entry left under the same id by an earlier container of that name is
  // released first: ids are reused (podman --replace, restarts).
  if ((*l)->find(call.inv.root, id) != nullptr) {
    node.release(call.inv.root, id);
  }
  LedgerEntry entry;
  entry.runc_root = call.inv.root;
  entry.container_id = id;
  entry.state = EntryState::kDecided;
  entry.cpus = decision.cpus;
  entry.bundle = call.inv.bundle;
  entry.cgroups_path = spec.cgroups_path;
  entry.systemd_cgroup = call.inv.systemd_cgroup;
  entry.pod_namespace = pod_namespace(spec);
  entry.pod_name = pod_name(spec);
  entry.container_name = container_name(spec);
  entry.decided_at =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  (*l)->data().entries.push_back(std::move(entry));
  if (auto ok = (*l)->commit(); !ok) {
    return refuse_or_warn(call, "cannot record the isolation decision: " + ok.error().message);
  }
  call.log.info("container " + id + ": will isolate CPUs " + decision.cpus.to_string() + " (" +
                decision.reason + ")");
  return {};
}

}  // namespace isolcpus
