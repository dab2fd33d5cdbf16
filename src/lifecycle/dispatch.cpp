#include "isolcpus/dispatch.hpp"

#include "call_inputs.hpp"
#include "decide_for_bundle.hpp"
#include "isolcpus/caller_log.hpp"
#include "steps.hpp"

namespace isolcpus {

bool needs_host_work(const RuncInvocation& inv) {
  if (!inv.certain || inv.help || inv.version) {
    return false;
  }
  switch (inv.subcommand) {
    case Subcommand::kCreate:
    case Subcommand::kRun:
    case Subcommand::kRestore:
    case Subcommand::kStart:
    case Subcommand::kDelete:
      return inv.container_id.has_value();
    case Subcommand::kUpdate:
      return inv.container_id.has_value() && (inv.update.resources || inv.update.cpuset_cpus);
    default:
      return false;
  }
}

Outcome say_failure(Call& call, const FailureResponse& response, int exit_code) {
  if (response.stop) {
    call.log.error(response.message);
    report_caller_error(call.inv, response.message);
    return {.exec_runtime = false, .exit_code = exit_code};
  }
  call.log.warn(response.message);
  append_caller_log(call.inv, "warning", response.caller_note);
  return {};
}

Outcome refuse_or_warn(Call& call, const std::string& reason) {
  return say_failure(call, failure_response(call.config.on_failure, reason));
}

namespace {

// The ledger could not be opened (its error is the reconcile's note too):
// what each subcommand does without it.
Outcome without_ledger(Call& call, NodeSession& node, const CallInputs& in, const Error& why) {
  switch (call.inv.subcommand) {
    case Subcommand::kCreate:
    case Subcommand::kRun:
    case Subcommand::kRestore:
      // Nothing can be recorded: only a container that wants isolation fails.
      return decide_for_bundle(call, node, nullptr, in).outcome;
    case Subcommand::kStart:
      return refuse_or_warn(call, "cannot consult the ledger: " + why.message);
    case Subcommand::kDelete:
      call.log.error("cannot consult the ledger to release container " + *call.inv.container_id + ": " +
                     why.message);
      return {};
    case Subcommand::kUpdate:
      return on_update_without_ledger(call, in, why);
    default:
      return {};
  }
}

Outcome dispatch(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in) {
  switch (call.inv.subcommand) {
    case Subcommand::kCreate:
      return on_create(call, node, ledger, in);
    case Subcommand::kRun:
    case Subcommand::kRestore:  // like run: the workload resumes with no `start` after it
      return on_run(call, node, ledger, in);
    case Subcommand::kStart:
      return on_start(call, node, ledger, in);
    case Subcommand::kDelete:
      return on_delete(call, node, ledger, in);
    case Subcommand::kUpdate:
      return on_update(call, node, ledger, in);
    default:
      return {};
  }
}

}  // namespace

Outcome handle_call(Call& call) {
  try {
    // Everything that can block is read before the node lock is taken.
    const CallInputs in = read_call_inputs(call);
    NodeSession node(call.config, call.log, call.seams != nullptr ? *call.seams : Seams{});
    node.set_label(std::string(call.inv.subcommand_name));
    auto ledger = node.ledger();
    // Every acting invocation first gives back what dead containers hold.
    node.reconcile();
    return ledger ? dispatch(call, node, **ledger, in) : without_ledger(call, node, in, ledger.error());
  } catch (const std::exception& e) {
    // A bug of ours must never take the container down with it.
    call.log.error(std::string("internal error, passing the call through: ") + e.what());
    return {};
  }
}

Expected<ReconcileReport> reconcile_node(const Config& config, Log& log, const Seams& seams) {
  NodeSession node(config, log, seams);
  node.set_label("reconcile");
  if (auto l = node.ledger(); !l) {
    return l.error();
  }
  return node.reconcile();
}

}  // namespace isolcpus
