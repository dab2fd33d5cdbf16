#include "isolcpus/dispatch.hpp"

#include "call_inputs.hpp"
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

Outcome refuse_or_warn(Call& call, const std::string& reason) {
  if (call.config.on_failure == OnFailure::kFail) {
    call.log.error(reason);
    report_caller_error(call.inv, reason);
    return {.exec_runtime = false, .exit_code = 1};
  }
  call.log.warn(reason + " (on_failure = \"warn\": continuing without isolation)");
  append_caller_log(call.inv, "warning", reason + " (continuing without isolation)");
  return {};
}

Outcome handle_call(Call& call) {
  try {
    // Everything that can block is read before the node lock is taken.
    const CallInputs in = read_call_inputs(call);
    NodeSession node(call.config, call.log, call.seams != nullptr ? *call.seams : Seams{});
    node.set_label(std::string(call.inv.subcommand_name));
    // Every acting invocation first gives back what dead containers hold.
    node.reconcile();
    switch (call.inv.subcommand) {
      case Subcommand::kCreate:
        return on_create(call, node, in);
      case Subcommand::kRun:
      case Subcommand::kRestore:  // like run: the workload resumes with no `start` after it
        return on_run(call, node, in);
      case Subcommand::kStart:
        return on_start(call, node, in);
      case Subcommand::kDelete:
        return on_delete(call, node, in);
      case Subcommand::kUpdate:
        return on_update(call, node, in);
      default:
        return {};
    }
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
