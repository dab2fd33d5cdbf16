#include "decide_for_bundle.hpp"

#include <algorithm>
#include <chrono>

#include "isolcpus/caller_log.hpp"
#include "runc_state.hpp"

namespace isolcpus {
namespace {

bool live_entry_holds(const Call& call, NodeSession& node) {
  auto l = node.ledger();
  if (!l) {
    return false;
  }
  const LedgerEntry* e = (*l)->find(call.inv.root, *call.inv.container_id);
  return e != nullptr && node.container_alive(*e);
}

// crun's --cgroup-manager=disabled leaves the container in its caller's
// cgroup (the shim's, conmon's): isolating that would isolate whatever else
// lives there, so an opted-in container runs balanced, and is told why.
void say_no_cgroup(Call& call, const std::string& id) {
  const std::string why =
      "container " + id +
      " is run with --cgroup-manager=disabled: it has no cgroup of its own, so its CPUs are "
      "not isolated";
  call.log.warn(why);
  append_caller_log(call.inv, "warning", why);
}

}  // namespace

BundleDecision decide_for_bundle(Call& call, NodeSession& node, const CallInputs& in) {
  BundleDecision result;
  const auto& id = *call.inv.container_id;
  if (!valid_container_id(id)) {
    call.log.info("container id \"" + id + "\" is not valid for runc; leaving the verdict to runc");
    return result;
  }
  if (in.id_taken || live_entry_holds(call, node)) {
    // runc refuses a second container of this id: the one that exists keeps
    // everything it has, and runc says why in its own words.
    call.log.info("container " + id + " already exists; leaving the call to runc, touching nothing");
    return result;
  }
  if (!in.spec) {
    return result;
  }
  const Expected<ContainerSpec>& spec = *in.spec;
  if (!spec) {
    // runc will fail on the same file and say so in its own words.
    call.log.warn("cannot read the bundle's spec, not isolating: " + spec.error().message);
    return result;
  }
  auto decided = decide_on_node(*spec, call.config, node, call.inv.root, id);
  if (!decided) {
    // A node we cannot read fails only the containers that want isolation.
    if (decide(*spec, policy_config(call.config), HostCpus{}).verdict != Verdict::kSkip) {
      result.outcome =
          refuse_or_warn(call, "cannot decide on container " + id + ": " + decided.error().message);
    }
    return result;
  }
  Decision decision = std::move(*decided);
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
  if (call.inv.cgroup_disabled) {
    say_no_cgroup(call, id);
    return result;
  }
  result.spec = *spec;
  result.decision = std::move(decision);
  return result;
}

Outcome record_decision(Call& call, NodeSession& node, const Decision& decision, const ContainerSpec& spec,
                        std::string_view bundle) {
  auto l = node.ledger();
  if (!l) {
    return refuse_or_warn(call, "cannot record the isolation decision: " + l.error().message);
  }
  const auto& id = *call.inv.container_id;
  // An entry left under the same id by an earlier, dead container of that
  // name is released first: ids are reused (podman --replace, restarts).
  if ((*l)->find(call.inv.root, id) != nullptr && !node.release(call.inv.root, id)) {
    return refuse_or_warn(call, "cannot isolate container " + id +
                                    ": the kernel still holds CPUs of an earlier container of that id");
  }
  LedgerEntry entry = decision_entry(call.inv.root, id, bundle, spec, decision);
  entry.systemd_cgroup = call.inv.systemd_cgroup;
  entry.creator = node.self();
  (*l)->data().entries.push_back(std::move(entry));
  if (auto ok = node.save("an isolation decision"); !ok) {
    std::erase_if((*l)->data().entries,
                  [&](const LedgerEntry& e) { return e.same_container(call.inv.root, id); });
    return refuse_or_warn(call, "cannot record the isolation decision: " + ok.error().message);
  }
  call.log.info("container " + id + ": will isolate CPUs " + decision.cpus.to_string() + " (" +
                decision.reason + ")");
  return {};
}

Expected<Decision> decide_on_node(const ContainerSpec& spec, const Config& config, NodeSession& node,
                                  std::string_view root, std::string_view id) {
  auto facts = node.host();
  if (!facts) {
    return make_error("cannot probe the host: " + facts.error().message);
  }
  auto l = node.ledger();
  if (!l) {
    return make_error("cannot consult the ledger: " + l.error().message);
  }
  auto claimed = node.claimed_cpus((*l)->find(root, id));
  if (!claimed) {
    return claimed.error();
  }
  return decide(spec, policy_config(config), HostCpus{(*facts)->online, *claimed});
}

LedgerEntry decision_entry(std::string_view root, std::string_view id, std::string_view bundle,
                           const ContainerSpec& spec, const Decision& decision) {
  LedgerEntry entry;
  entry.runc_root = root;
  entry.container_id = id;
  entry.state = EntryState::kDecided;
  entry.cpus = decision.cpus;
  entry.bundle = bundle;
  entry.cgroups_path = spec.cgroups_path;
  entry.pod_namespace = pod_namespace(spec);
  entry.pod_name = pod_name(spec);
  entry.container_name = container_name(spec);
  entry.decided_at =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return entry;
}

}  // namespace isolcpus
