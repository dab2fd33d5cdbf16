// `runc-isolcpus-ctl hook <stage>`: the engine as an OCI hook.  The runtime
// writes the container's state (runtime-spec "State") on the hook's stdin.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "isolcpus/expected.hpp"
#include "isolcpus/ledger.hpp"  // kHookRoot

namespace isolcpus {

enum class HookStage { kIsolate, kRelease, kIgnore, kAuto };

// createRuntime and prestart isolate (whichever the hook is registered for;
// the second of the two is a no-op for an isolated container), poststop
// releases, the other stages do nothing.  "auto" is for hooks.d, whose one
// argv serves every stage listed: see stage_from_status.  Unknown names are
// an error.
Expected<HookStage> hook_stage(std::string_view name);

// "auto": the runtime-spec state's status says which stage runs us:
// "creating" (createRuntime, createContainer) or "created" (prestart,
// startContainer) isolate; "stopped" (poststop) releases; "running"
// (poststart) does nothing.
Expected<HookStage> stage_from_status(std::string_view status);

struct HookState {
  std::string id;
  int pid = 0;  // 0 when the runtime gives none (poststop)
  std::string bundle;
  std::string status;
  std::map<std::string, std::string> annotations;
};

// Pure.  Requires id; bundle for the isolating stages is checked by the caller.
Expected<HookState> parse_hook_state(std::string_view json_text);

}  // namespace isolcpus
