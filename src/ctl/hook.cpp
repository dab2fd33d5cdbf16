// hook: the engine as an OCI hook (CRI-O / podman hooks.d, or a bundle's
// hooks section), for nodes where the runtime cannot be wrapped.  The
// createRuntime hook runs once runc has made the container's cgroup and init
// process but before the workload's first instruction, which is exactly
// where the wrapper's `start` isolates.
#include <istream>
#include <iterator>
#include <ostream>

#include "../lifecycle/decide_for_bundle.hpp"
#include "../lifecycle/node_session.hpp"
#include "../lifecycle/runc_state.hpp"
#include "commands.hpp"
#include "hook_state.hpp"
#include "isolcpus/container_spec.hpp"
#include "isolcpus/policy.hpp"

namespace isolcpus {
namespace {

class HookRun {
 public:
  HookRun(const Config& config, const HookState& state, Log& log, std::ostream& err)
      : config_(config), state_(state), log_(log), err_(err), node_(config, log) {}

  int release() {
    auto l = node_.ledger();
    if (!l) {
      log_.error("cannot release container " + state_.id + ": " + l.error().message);
      return 0;
    }
    // poststop also runs for a container whose createRuntime hook refused
    // it, possibly one with the id of a live container: that one keeps its
    // CPUs.
    if (const LedgerEntry* e = (*l)->find(kHookRoot, state_.id);
        e != nullptr && e->init_pid != state_.pid && node_.container_alive(*e)) {
      log_.info("poststop of " + state_.id + " (pid " + std::to_string(state_.pid) +
                "): the ledger entry belongs to a live container of that id (pid " +
                std::to_string(e->init_pid) + "); not releasing it");
      return 0;
    }
    node_.release(kHookRoot, state_.id);
    return 0;
  }

  int isolate() {
    if (!valid_container_id(state_.id)) {
      log_.info("container id \"" + state_.id + "\" is not valid for runc; not isolating");
      return 0;
    }
    if (already_isolated()) {
      return 0;  // registered for both createRuntime and prestart: the first did it
    }
    if (state_.bundle.empty()) {
      return refuse("the OCI state on stdin has no \"bundle\"");
    }
    // Read before the node lock: nothing that can block runs under it.
    auto spec = read_container_spec(state_.bundle);
    if (!spec) {
      return refuse("cannot read the bundle's spec: " + spec.error().message);
    }
    for (const auto& [key, value] : state_.annotations) {
      spec->annotations.emplace(key, value);  // the spec's own value wins
    }
    // Hook mode has no `delete` to lean on when poststop is skipped (the
    // runtime crashed): give back what dead containers hold first.
    node_.reconcile();
    auto decided = decide_on_node(*spec, config_, node_, kHookRoot, state_.id);
    if (!decided) {
      if (decide(*spec, policy_config(config_), HostCpus{}).verdict == Verdict::kSkip) {
        return 0;  // not ours to isolate: a node we cannot read does not matter
      }
      return refuse("cannot decide on container " + state_.id + ": " + decided.error().message);
    }
    const Decision& decision = *decided;
    for (const auto& w : decision.warnings) {
      log_.warn("container " + state_.id + ": " + w);
    }
    if (decision.verdict == Verdict::kSkip) {
      log_.debug("container " + state_.id + " not isolated: " + decision.reason);
      return 0;
    }
    if (decision.verdict == Verdict::kRefuse) {
      return refuse("refusing to isolate CPUs of container " + state_.id + ": " + decision.reason);
    }
    if (state_.pid <= 0) {
      return refuse("the OCI state on stdin has no pid: register the hook for createRuntime or prestart");
    }
    if (auto recorded = record(*spec, decision); recorded != 0) {
      return recorded;
    }
    return isolate_recorded(decision);
  }

 private:
  bool already_isolated() const {
    auto data = read_ledger_snapshot(config_.state_dir);
    if (!data) {
      return false;
    }
    for (const auto& e : data->entries) {
      if (e.same_container(kHookRoot, state_.id) && e.state == EntryState::kIsolated &&
          e.init_pid == state_.pid) {
        return true;
      }
    }
    return false;
  }

  int record(const ContainerSpec& spec, const Decision& decision) {
    auto l = node_.ledger();
    if (!l) {
      return refuse("cannot consult the ledger: " + l.error().message);
    }
    if (const LedgerEntry* old = (*l)->find(kHookRoot, state_.id); old != nullptr) {
      if (old->init_pid != state_.pid && node_.container_alive(*old)) {
        // Another live container (another runtime's) has this id: it keeps
        // what it has, this one is not isolated.
        return refuse("a live container with id " + state_.id + " already holds CPUs " +
                      old->cpus.to_string() + "; not isolating a second container of that id");
      }
      if (!node_.release(kHookRoot, state_.id)) {
        return refuse("the kernel still holds CPUs of an earlier container " + state_.id);
      }
    }
    LedgerEntry entry = decision_entry(kHookRoot, state_.id, state_.bundle, spec, decision);
    // Liveness for reconcile: hook entries have no runc state dir to read.
    entry.init_pid = state_.pid;
    entry.init_start_ticks = process_start_ticks(node_.proc(), state_.pid).value_or(0);
    entry.creator = node_.self();
    (*l)->data().entries.push_back(std::move(entry));
    if (auto ok = node_.save("an isolation decision"); !ok) {
      std::erase_if((*l)->data().entries,
                    [&](const LedgerEntry& e) { return e.same_container(kHookRoot, state_.id); });
      return refuse("cannot record the isolation decision: " + ok.error().message);
    }
    return 0;
  }

  int isolate_recorded(const Decision& decision) {
    const CgroupMode mode = (*node_.host())->mode;  // probed by decide_on_node
    auto raw = process_cpuset_cgroup(node_.proc(), state_.pid, mode);
    if (!raw) {
      node_.release(kHookRoot, state_.id);
      return refuse("cannot find the container's cgroup: " + raw.error().message);
    }
    auto cgroup = CgroupPath::parse(*raw);
    if (!cgroup) {
      node_.release(kHookRoot, state_.id);
      return refuse("cgroup \"" + *raw + "\" of container " + state_.id +
                    " is not a safe path: " + cgroup.error().message);
    }
    if (auto done = node_.isolate(kHookRoot, state_.id, *cgroup); !done) {
      node_.release(kHookRoot, state_.id);
      return refuse("cannot isolate CPUs " + decision.cpus.to_string() + " of container " + state_.id + ": " +
                    done.error().message);
    }
    return 0;
  }

  // on_failure at the boundary: a failing createRuntime hook makes the
  // runtime abort the container, with our stderr in its error.
  int refuse(const std::string& reason) {
    if (config_.on_failure == OnFailure::kFail) {
      log_.error(reason);
      err_ << "runc-isolcpus: " << reason << '\n';
      return 1;
    }
    log_.warn(reason + " (on_failure = \"warn\": starting it with load balancing on)");
    return 0;
  }

  const Config& config_;
  const HookState& state_;
  Log& log_;
  std::ostream& err_;
  NodeSession node_;
};

}  // namespace

int cmd_hook(const ConfigLoad& loaded, std::string_view stage_name, std::istream& in, std::ostream& err) {
  auto stage = hook_stage(stage_name);
  if (!stage) {
    err << "runc-isolcpus-ctl hook: " << stage.error().message << '\n';
    return 1;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto state = parse_hook_state(text);
  if (!state) {
    err << "runc-isolcpus-ctl hook " << stage_name << ": " << state.error().message << '\n';
    return 1;
  }
  const Config config = effective_config(loaded);
  Log log(config, "hook " + std::string(stage_name) + " " + state->id);
  for (const auto& problem : loaded.problems) {
    log.error(problem);
    err << "runc-isolcpus config: " << problem << '\n';
  }
  HookRun run(config, *state, log, err);
  if (*stage == HookStage::kAuto) {
    stage = stage_from_status(state->status);
    if (!stage) {
      err << "runc-isolcpus-ctl hook: " << stage.error().message << '\n';
      return 1;
    }
  }
  switch (*stage) {
    case HookStage::kAuto:
    case HookStage::kIgnore:
      return 0;
    case HookStage::kRelease:
      return run.release();
    case HookStage::kIsolate:
      break;
  }
  return run.isolate();
}

}  // namespace isolcpus
