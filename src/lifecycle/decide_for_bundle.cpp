#include "decide_for_bundle.hpp"

#include "isolcpus/caller_log.hpp"
#include "isolcpus/pod_identity.hpp"
#include "runc_state.hpp"

namespace isolcpus {
namespace {

bool live_entry_holds(const Call& call, NodeSession& node, Ledger* ledger) {
  const LedgerEntry* e = ledger == nullptr ? nullptr : ledger->find(call.inv.root, *call.inv.container_id);
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

// The spec to decide on, or null when there is nothing to decide (the
// reason logged): checks that need neither the node nor the lock's state.
const ContainerSpec* spec_to_decide(Call& call, NodeSession& node, Ledger* ledger, const CallInputs& in) {
  const auto& id = *call.inv.container_id;
  if (!valid_container_id(id)) {
    call.log.info("container id \"" + id + "\" is not valid for runc; leaving the verdict to runc");
    return nullptr;
  }
  if (in.id_taken || live_entry_holds(call, node, ledger)) {
    // runc refuses a second container of this id: the one that exists keeps
    // everything it has, and runc says why in its own words.
    call.log.info("container " + id + " already exists; leaving the call to runc, touching nothing");
    return nullptr;
  }
  if (!in.spec) {
    return nullptr;
  }
  const Expected<ContainerSpec>& spec = *in.spec;
  if (!spec) {
    // runc will fail on the same file and say so in its own words.
    call.log.warn("cannot read the bundle's spec, not isolating: " + spec.error().message);
    return nullptr;
  }
  return &*spec;
}

}  // namespace

BundleDecision decide_for_bundle(Call& call, NodeSession& node, Ledger* ledger, const CallInputs& in) {
  BundleDecision result;
  const ContainerSpec* spec = spec_to_decide(call, node, ledger, in);
  if (spec == nullptr) {
    return result;
  }
  const auto& id = *call.inv.container_id;
  // The journal files every later line of this call under its pod too.
  if (const PodIdentity pod = call.config.log_to_journal ? pod_identity(*spec) : PodIdentity{};
      !pod.pod_name.empty()) {
    call.log.set_field("POD",
                       pod.pod_namespace.empty() ? pod.pod_name : pod.pod_namespace + "/" + pod.pod_name);
  }
  auto decided = node.decide(*spec, call.inv.root, id);
  if (!decided) {
    result.outcome =
        refuse_or_warn(call, "cannot decide on container " + id + ": " + decided.error().message);
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

NewDecision new_decision(const Call& call, const BundleDecision& decided, std::string_view bundle) {
  return NewDecision{.spec = *decided.spec,
                     .decision = *decided.decision,
                     .bundle = bundle,
                     .systemd_cgroup = call.inv.systemd_cgroup,
                     .init = {}};
}

Outcome record_decision(Call& call, NodeSession& node, Ledger& ledger, const BundleDecision& decided,
                        std::string_view bundle) {
  const NewDecision what = new_decision(call, decided, bundle);
  if (auto ok = node.record(ledger, call.inv.root, *call.inv.container_id, what); !ok) {
    return refuse_or_warn(call, ok.error().message);
  }
  return {};
}

}  // namespace isolcpus
