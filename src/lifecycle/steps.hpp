// One function per runc subcommand the wrapper acts on (src/lifecycle/on_*.cpp):
// thin adapters over the engine (include/isolcpus/node_session.hpp).  Each
// gets the ledger handle_call opened for the call; it stays valid until
// node.unlock() (only update lets go of the lock, for its runc child).
#pragma once

#include "isolcpus/dispatch.hpp"
#include "isolcpus/failure_policy.hpp"
#include "isolcpus/node_session.hpp"

namespace isolcpus {

struct CallInputs;

Outcome on_create(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in);
Outcome on_run(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in);  // also restore
Outcome on_start(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in);
Outcome on_delete(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in);
Outcome on_update(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in);
// update when the ledger cannot be opened: refusals still stop it, anything
// else passes through.
Outcome on_update_without_ledger(Call& call, const CallInputs& in, const Error& why);

// The wrapper's side of the failure policy (failure_response): "fail" stops
// the call with the message on stderr and in the caller's log (the outcome:
// exit with `exit_code`); "warn" logs it, tells the caller's log, and lets
// runc go on (the outcome: exec runc).
Outcome say_failure(Call& call, const FailureResponse& response, int exit_code = 1);
Outcome refuse_or_warn(Call& call, const std::string& reason);

}  // namespace isolcpus
