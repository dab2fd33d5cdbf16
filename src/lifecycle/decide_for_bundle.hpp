// Shared by create and run: config.json -> Decision -> ledger entry.
#pragma once

#include <optional>

#include "call_inputs.hpp"
#include "isolcpus/container_spec.hpp"
#include "isolcpus/policy.hpp"
#include "steps.hpp"

namespace isolcpus {

struct BundleDecision {
  std::optional<ContainerSpec> spec;
  std::optional<Decision> decision;  // set only when the verdict is kIsolate
  Outcome outcome;                   // what to do when there is nothing to isolate
  explicit operator bool() const { return decision.has_value(); }
};

// Decides on the bundle read before the lock (`in.spec`).  Nothing is
// decided for an id runc already has, or that a live entry holds.
BundleDecision decide_for_bundle(Call& call, NodeSession& node, const CallInputs& in);

// The policy applied to this node as it is now: its online CPUs, and every
// CPU claimed by another container or isolated at boot (an earlier entry of
// the same root and id does not count against itself: ids are reused).
// Shared by the wrapper's create/run and the OCI hook.
Expected<Decision> decide_on_node(const ContainerSpec& spec, const Config& config, NodeSession& node,
                                  std::string_view root, std::string_view id);

// A fresh kDecided ledger entry for a container the policy chose to isolate.
LedgerEntry decision_entry(std::string_view root, std::string_view id, std::string_view bundle,
                           const ContainerSpec& spec, const Decision& decision);

// Records a kIsolate decision for the call's container (replacing a dead
// entry of the same id) and returns "exec runc".
// `bundle`: the one the spec was read from (for `start`, runc's record).
Outcome record_decision(Call& call, NodeSession& node, const Decision& decision, const ContainerSpec& spec,
                        std::string_view bundle);

}  // namespace isolcpus
