// hook: the engine as an OCI hook (CRI-O / podman hooks.d, or a bundle's
// hooks section), for nodes where the runtime cannot be wrapped.  The
// createRuntime hook runs once runc has made the container's cgroup and init
// process but before the workload's first instruction, which is exactly
// where the wrapper's `start` isolates.
#include <istream>
#include <iterator>
#include <ostream>

#include "commands.hpp"
#include "hook_state.hpp"
#include "isolcpus/container_spec.hpp"
#include "isolcpus/failure_policy.hpp"
#include "isolcpus/node_session.hpp"
#include "isolcpus/policy.hpp"
#include "isolcpus/text.hpp"

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
    const auto released = node_.release_container(
        **l, kHookRoot, state_.id, {.stopped_init = state_.pid, .keep_isolation_while_alive = true});
    if (released == Released::kKept || released == Released::kUnisolated) {
      log_.info("poststop of " + state_.id + " (pid " + std::to_string(state_.pid) +
                "): the ledger entry belongs to a live container of that id; not releasing it");
    }
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
    return isolate_spec(*spec);
  }

 private:
  int isolate_spec(const ContainerSpec& spec) {
    auto decided = node_.decide(spec, kHookRoot, state_.id);
    if (!decided) {
      return refuse("cannot decide on container " + state_.id + ": " + decided.error().message);
    }
    for (const auto& w : decided->warnings) {
      log_.warn("container " + state_.id + ": " + w);
    }
    switch (decided->verdict) {
      case Verdict::kSkip:
        log_.debug("container " + state_.id + " not isolated: " + decided->reason);
        return 0;
      case Verdict::kRefuse:
        return refuse("refusing to isolate CPUs of container " + state_.id + ": " + decided->reason);
      case Verdict::kIsolate:
        break;
    }
    if (state_.pid <= 0) {
      return refuse("the OCI state on stdin has no pid: register the hook for createRuntime or prestart");
    }
    auto l = node_.ledger();  // opened by decide
    if (!l) {
      return refuse("cannot consult the ledger: " + l.error().message);
    }
    const NewDecision what{.spec = spec,
                           .decision = *decided,
                           .bundle = state_.bundle,
                           .systemd_cgroup = false,
                           .init = node_.process(state_.pid)};
    auto isolated = node_.isolate_container(**l, kHookRoot, state_.id, &what, [&](const LedgerEntry&) {
      return node_.locate_by_process(state_.pid);
    });
    return isolated ? 0 : refuse(isolated.error().message);
  }

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

  // The hook's side of the failure policy: a failing createRuntime hook
  // makes the runtime abort the container, with our stderr in its error.
  int refuse(const std::string& reason) {
    const FailureResponse response = failure_response(
        config_.on_failure, reason, {.going_on = "starting it with load balancing on", .stopping = {}});
    if (response.stop) {
      log_.error(response.message);
      err_ << "runc-isolcpus: " << response.message << '\n';
      return 1;
    }
    log_.warn(response.message);
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
  Log log(config, "hook " + std::string(stage_name) + " " + state->id, state->id);
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
