// Shared by create and run: config.json -> Decision -> ledger entry.
#pragma once

#include <optional>

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

BundleDecision decide_for_bundle(Call& call, NodeSession& node);

// Records a kIsolate decision for the call's container (replacing any stale
// entry of the same id) and returns "exec runc".
Outcome record_decision(Call& call, NodeSession& node, const Decision& decision, const ContainerSpec& spec);

}  // namespace isolcpus
