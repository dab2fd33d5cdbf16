// One function per runc subcommand the wrapper acts on (src/lifecycle/on_*.cpp).
#pragma once

#include "isolcpus/dispatch.hpp"
#include "node_session.hpp"

namespace isolcpus {

struct CallInputs;

Outcome on_create(Call& call, NodeSession& node, const CallInputs& in);
Outcome on_run(Call& call, NodeSession& node, const CallInputs& in);  // also restore
Outcome on_start(Call& call, NodeSession& node, const CallInputs& in);
Outcome on_delete(Call& call, NodeSession& node, const CallInputs& in);
Outcome on_update(Call& call, NodeSession& node, const CallInputs& in);

// The failure policy at the boundary: "fail" stops the call with `reason`
// on stderr and in the caller's log; "warn" logs it and lets runc go on.
Outcome refuse_or_warn(Call& call, const std::string& reason);

}  // namespace isolcpus
