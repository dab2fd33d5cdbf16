// Shared by create, run and a late start: config.json -> Decision -> ledger entry.
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
// `ledger`: null when it could not be opened, and then only the refusal of
// a container that wants isolation comes out.
BundleDecision decide_for_bundle(Call& call, NodeSession& node, Ledger* ledger, const CallInputs& in);

// The decision for the engine to record, for this call's container.
NewDecision new_decision(const Call& call, const BundleDecision& decided, std::string_view bundle);

// Records a kIsolate decision for the call's container (replacing a dead
// entry of the same id) and returns "exec runc", or the failure policy's
// answer.  `bundle`: the one the spec was read from (for `start`, runc's record).
Outcome record_decision(Call& call, NodeSession& node, Ledger& ledger, const BundleDecision& decided,
                        std::string_view bundle);

}  // namespace isolcpus
