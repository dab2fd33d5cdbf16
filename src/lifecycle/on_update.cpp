// update: when an isolated container's cpus change, release the old set, let
// runc update the cgroup (with the caller's exact stdin bytes), then isolate
// the new set.  A created container not started yet only has its decision
// moved.  Anything else about the update passes straight through.
#include <fstream>
#include <sstream>

#include "child_runtime.hpp"
#include "isolcpus/caller_log.hpp"
#include "isolcpus/container_spec.hpp"
#include "isolcpus/policy.hpp"
#include "steps.hpp"

namespace isolcpus {
namespace {

struct NewCpus {
  std::optional<CpuSet> cpus;              // nullopt: the update does not touch cpus (or cannot be read)
  std::optional<std::string> stdin_bytes;  // set when we consumed stdin
};

NewCpus read_new_cpus(Call& call) {
  NewCpus out;
  const auto& req = call.inv.update;
  if (req.resources) {
    std::string text;
    if (*req.resources == "-") {
      auto bytes = read_all_stdin();
      if (!bytes) {
        call.log.warn(bytes.error().message);
        return out;
      }
      out.stdin_bytes = *bytes;
      text = *bytes;
    } else {
      std::ifstream in(*req.resources, std::ios::binary);  // relative to the caller's cwd, like runc
      if (!in) {
        return out;  // runc reports the missing file
      }
      std::ostringstream buf;
      buf << in.rdbuf();
      text = buf.str();
    }
    auto cpus = parse_update_cpus(text, *req.resources == "-" ? "update resources on stdin" : *req.resources);
    if (!cpus) {
      call.log.warn(cpus.error().message);
      return out;
    }
    out.cpus = *cpus;
    return out;  // with -r, runc ignores the other update flags
  }
  if (req.cpuset_cpus) {
    auto cpus = CpuSet::parse(*req.cpuset_cpus);
    if (cpus && !cpus->empty()) {
      out.cpus = *cpus;
    }
  }
  return out;
}

Outcome pass_through(Call& call, const NewCpus& update) {
  if (update.stdin_bytes) {
    if (auto ok = replace_stdin(*update.stdin_bytes); !ok) {
      report_caller_error(call.inv, ok.error().message);
      return {.exec_runtime = false, .exit_code = 1};
    }
  }
  return {};
}

}  // namespace

Outcome on_update(Call& call, NodeSession& node) {
  auto l = node.ledger();
  if (!l) {
    call.log.error("cannot consult the ledger: " + l.error().message);
    return {};
  }
  const std::string root = call.inv.root;
  const std::string id = *call.inv.container_id;
  const LedgerEntry* entry = (*l)->find(root, id);
  // A created container not started yet (kDecided) counts too: start
  // isolates the recorded cpus, so they must follow the update.
  const bool was_isolated = entry != nullptr && entry->state == EntryState::kIsolated && entry->isolation;
  const bool was_decided = entry != nullptr && entry->state == EntryState::kDecided && !entry->isolation;
  if (!was_isolated && !was_decided) {
    return {};  // stdin untouched: runc reads it itself
  }
  NewCpus update = read_new_cpus(call);
  if (!update.cpus || *update.cpus == entry->cpus) {
    return pass_through(call, update);
  }
  const CpuSet old_cpus = entry->cpus;
  const std::string cgroup_text = was_isolated ? entry->isolation->cgroup : std::string();

  // The new set must pass the same guardrails as at create.
  ContainerSpec spec;
  if (auto read = read_container_spec(entry->bundle); read) {
    spec = std::move(*read);
  } else {
    spec.annotations[std::string(kLoadBalancingAnnotation)] = "disable";
  }
  spec.cpus = *update.cpus;
  spec.shares = update.cpus->count() * 1024;
  HostCpus host;
  if (auto facts = node.host(); facts) {
    host.online = (*facts)->online;
  }
  if (auto claimed = node.claimed_cpus(entry); claimed) {
    host.isolated = *claimed;
  }
  const Decision decision = decide(spec, policy_config(call.config), host);
  if (decision.verdict == Verdict::kRefuse) {
    Outcome refused = refuse_or_warn(call, "refusing to move container " + id + " to CPUs " +
                                               update.cpus->to_string() + ": " + decision.reason);
    if (!refused.exec_runtime) {
      return refused;
    }
  }

  if (was_isolated) {
    node.unisolate(root, id);
  }
  auto status = run_runtime_child(call.runtime, call.argv, update.stdin_bytes);
  if (!status) {
    report_caller_error(call.inv, status.error().message);
    return {.exec_runtime = false, .exit_code = 1};
  }
  LedgerEntry* current = (*l)->find(root, id);
  if (current == nullptr) {
    return {.exec_runtime = false, .exit_code = *status};
  }
  const bool moved = *status == 0;
  if (moved && decision.verdict != Verdict::kIsolate) {
    node.release(root, id);  // the new set may not be isolated: stop tracking
    return {.exec_runtime = false, .exit_code = *status};
  }
  current->cpus = moved ? *update.cpus : old_cpus;
  if (auto ok = (*l)->commit(); !ok) {
    call.log.error("cannot record new cpus of container " + id + ": " + ok.error().message);
  }
  if (!was_isolated) {
    return {.exec_runtime = false, .exit_code = *status};  // start isolates the recorded set
  }
  auto cgroup = CgroupPath::parse(cgroup_text);
  Expected<void> isolated = cgroup ? node.isolate(root, id, *cgroup) : Expected<void>(cgroup.error());
  if (!isolated) {
    const std::string reason = "runc update of container " + id + (moved ? " succeeded" : " failed") +
                               " but CPUs " + current->cpus.to_string() +
                               " could not be isolated: " + isolated.error().message;
    node.release(root, id);
    if (call.config.on_failure == OnFailure::kFail) {
      report_caller_error(call.inv, reason);
      call.log.error(reason);
      return {.exec_runtime = false, .exit_code = *status == 0 ? 1 : *status};
    }
    call.log.warn(reason);
  }
  return {.exec_runtime = false, .exit_code = *status};
}

}  // namespace isolcpus
