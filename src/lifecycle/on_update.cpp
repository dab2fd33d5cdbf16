// update: when an opted-in container's cpus change, record the update as in
// flight, release the old set, let runc update the cgroup (with the
// caller's exact stdin bytes) WITHOUT the node lock, then isolate the new
// set.  A created container not started yet only has its decision moved.
// Anything else about the update passes straight through.
//
// A crash anywhere leaves the in-flight record; once the wrapper and its
// runc child are both gone, reconcile reads the container's cpuset.cpus to
// learn which set won and isolates that one.
#include <optional>

#include "call_inputs.hpp"
#include "child_runtime.hpp"
#include "container_cgroup.hpp"
#include "isolcpus/caller_log.hpp"
#include "isolcpus/container_spec.hpp"
#include "isolcpus/policy.hpp"
#include "steps.hpp"

namespace isolcpus {
namespace {

Outcome pass_through(Call& call, const CallInputs& in) {
  if (in.stdin_bytes) {
    if (auto ok = replace_stdin(*in.stdin_bytes); !ok) {
      report_caller_error(call.inv, ok.error().message);
      return {.exec_runtime = false, .exit_code = 1};
    }
  }
  return {};
}

Outcome stop(Call& call, const std::string& reason, int code = 1) {
  call.log.error(reason);
  report_caller_error(call.inv, reason);
  return {.exec_runtime = false, .exit_code = code};
}

// The new set must pass the same guardrails as at create.  The bundle was
// read before the lock; when it is unreadable the entry itself is the
// evidence of the opt-in.
Decision decide_new_cpus(Call& call, NodeSession& node, const CallInputs& in, const LedgerEntry& entry) {
  const bool readable = in.spec && *in.spec;
  ContainerSpec spec = readable ? **in.spec : ContainerSpec{};
  spec.cpus = *in.new_cpus;
  spec.shares = in.new_cpus->count() * 1024;
  HostCpus host;
  host.opt_in_recorded = !readable;
  if (auto facts = node.host(); facts) {
    host.online = (*facts)->online;
  }
  if (auto claimed = node.claimed_cpus(&entry); claimed) {
    host.isolated = *claimed;
  }
  return decide(spec, policy_config(call.config), host);
}

// Runs `runc update` as a child, its PID recorded before it may exec, the
// node lock released while it runs (`ledger` is gone after).  Returns its
// exit status.
Expected<int> run_update_child(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in) {
  auto child = node.seams().launch_update
                   ? node.seams().launch_update(in.stdin_bytes)
                   : launch_runtime_child(call.runtime, call.argv, in.stdin_bytes, node.proc());
  if (!child) {
    return child.error();
  }
  if (LedgerEntry* e = ledger.find(call.inv.root, *call.inv.container_id); e != nullptr && e->update) {
    e->update->child = (*child)->process();
    if (auto ok = node.save("the update's runc child"); !ok) {
      // Unrecorded, a child outliving us could move the container after a
      // reconcile settled it: it never runs (EOF at its gate).
      return make_error("cannot record the update's runc child, so it was not run: " + ok.error().message);
    }
  }
  node.unlock();
  if (auto ok = (*child)->go(); !ok) {
    return ok.error();
  }
  return (*child)->wait();
}

// The new set isolated where the container runs; nullopt when it is not
// started yet (start isolates the recorded set).
std::optional<Expected<void>> isolate_moved(NodeSession& node, const LedgerEntry& entry,
                                            const UpdateInFlight& update) {
  std::string cgroup_text = update.cgroup;
  std::optional<CgroupPath> workload;  // crun's subgroup, whose quota crun just wrote again
  if (entry.init_pid > 0) {
    if (auto located = locate_container_cgroup(entry, node)) {
      // Started, but had lost its isolation (a failed delete or isolation):
      // the new set is isolated where the container runs.
      cgroup_text = cgroup_text.empty() ? located->path.str() : cgroup_text;
      if (located->path.str() == cgroup_text) {
        workload = located->workload;
      }
    }
  }
  if (cgroup_text.empty()) {
    return std::nullopt;
  }
  auto cgroup = CgroupPath::parse(cgroup_text);
  return cgroup ? node.isolate(entry.runc_root, entry.container_id, *cgroup, workload.value_or(*cgroup))
                : Expected<void>(cgroup.error());
}

// Back under the lock (taken again: the child ran without it): the entry
// follows the set runc put the container on.
Outcome finish_update(Call& call, NodeSession& node, const Decision& decision, int status) {
  const std::string& root = call.inv.root;
  const std::string& id = *call.inv.container_id;
  const Outcome done{.exec_runtime = false, .exit_code = status};
  auto l = node.ledger();
  if (!l) {
    call.log.error("cannot finish the update of container " + id + ": " + l.error().message +
                   "; the next call settles it");
    return done;
  }
  LedgerEntry* e = (*l)->find(root, id);
  if (e == nullptr || !e->update || e->update->wrapper != node.self()) {
    return done;  // deleted meanwhile (or settled by someone else)
  }
  const UpdateInFlight update = *e->update;
  // runc's exit status is only a hint: an update can fail after writing
  // cpuset.cpus, or succeed without it (another writer).  The cgroup says
  // which set the container runs on.
  const bool moved = node.update_winner(*e, update, status == 0 ? update.to : update.from) == update.to;
  if (moved && decision.verdict != Verdict::kIsolate) {
    node.release(root, id);  // the new set may not be isolated: stop tracking
    return done;
  }
  e->cpus = moved ? update.to : update.from;
  e->update.reset();
  (void)node.save("an update's new cpus");
  const auto isolated = isolate_moved(node, *e, update);
  if (!isolated || *isolated) {
    return done;
  }
  const std::string reason = "runc update of container " + id + (moved ? " succeeded" : " failed") +
                             " but CPUs " + e->cpus.to_string() +
                             " could not be isolated: " + isolated->error().message;
  // The container runs on these CPUs now: "fail" keeps its claim, and every
  // later call tries to isolate it again (status shows it meanwhile).
  const FailureResponse response =
      failure_response(call.config.on_failure, reason,
                       {.going_on = "it runs balanced",
                        .stopping = "it keeps its claim and is isolated again by the next call"});
  if (response.stop) {
    return say_failure(call, response, status == 0 ? 1 : status);
  }
  node.release(root, id);
  (void)say_failure(call, response);
  return done;
}

// An isolated or decided container whose CPUs change: the move this
// update makes.  nullopt when the update is not ours (it passes through).
std::optional<CpuSet> our_move(const LedgerEntry* entry, const CallInputs& in) {
  // A created container not started yet (kDecided) counts too: start
  // isolates the recorded cpus, so they must follow the update.
  const bool holds = entry != nullptr && (entry->isolation || !entry->tuning_changes.empty());
  const bool was_isolated = entry != nullptr && entry->state == EntryState::kIsolated && holds;
  const bool was_decided = entry != nullptr && entry->state == EntryState::kDecided && !holds;
  if ((!was_isolated && !was_decided) || !in.new_cpus || *in.new_cpus == entry->cpus) {
    return std::nullopt;
  }
  return *in.new_cpus;
}

// Records the move as in flight and lets go of the old set's isolation.
// An outcome when the update may not run.
std::optional<Outcome> begin_move(Call& call, NodeSession& node, Ledger& ledger, const Decision& decision,
                                  const CpuSet& to) {
  const std::string& root = call.inv.root;
  const std::string& id = *call.inv.container_id;
  LedgerEntry& entry = *ledger.find(root, id);
  const bool was_isolated = entry.state == EntryState::kIsolated;
  // A container with tunings only has no cgroup recorded: "" has it located.
  entry.update =
      UpdateInFlight{entry.cpus,  to, was_isolated && entry.isolation ? entry.isolation->cgroup : "",
                     node.self(), {}, decision.verdict != Verdict::kIsolate};
  if (auto ok = node.save("an update in flight"); !ok) {
    return stop(call, "cannot record the update of container " + id +
                          " in the ledger, so it was not run: " + ok.error().message);
  }
  const std::string old_cpus = entry.cpus.to_string();
  if (was_isolated && !node.unisolate(root, id)) {
    if (LedgerEntry* e = ledger.find(root, id); e != nullptr) {
      e->update.reset();
      (void)node.save("a refused update");
    }
    return stop(call, "cannot move container " + id + ": its CPUs " + old_cpus +
                          " could not be released (see runc-isolcpus-ctl status and the log); the update was "
                          "not run");
  }
  return std::nullopt;
}

}  // namespace

Outcome on_update_without_ledger(Call& call, const CallInputs& in, const Error& why) {
  if (in.refusal) {
    return stop(call, *in.refusal);
  }
  call.log.error("cannot consult the ledger: " + why.message);
  return pass_through(call, in);
}

Outcome on_update(Call& call, NodeSession& node, Ledger& ledger, const CallInputs& in) {
  if (in.refusal) {
    return stop(call, *in.refusal);
  }
  const std::string& id = *call.inv.container_id;
  const LedgerEntry* entry = ledger.find(call.inv.root, id);
  if (entry != nullptr &&
      (entry->update || entry->state == EntryState::kIsolating || entry->state == EntryState::kReleasing) &&
      in.new_cpus && *in.new_cpus != entry->cpus) {
    // Another update is in flight, or the kernel has not let go of the old
    // set yet: a second move now would go untracked.  The caller retries.
    return stop(call, "cannot move container " + id + " to CPUs " + in.new_cpus->to_string() +
                          ": an earlier change of its CPUs is still being settled; retry");
  }
  const auto to = our_move(entry, in);
  if (!to) {
    return pass_through(call, in);
  }
  const Decision decision = decide_new_cpus(call, node, in, *entry);
  if (decision.verdict == Verdict::kRefuse) {
    Outcome refused = refuse_or_warn(
        call, "refusing to move container " + id + " to CPUs " + to->to_string() + ": " + decision.reason);
    if (!refused.exec_runtime) {
      return refused;
    }
  }
  if (auto refused = begin_move(call, node, ledger, decision, *to)) {
    return *refused;
  }
  auto status = run_update_child(call, node, ledger, in);
  if (!status) {
    // The record stays: reconcile settles it once we are gone.
    return stop(call, status.error().message);
  }
  return finish_update(call, node, decision, *status);
}

}  // namespace isolcpus
