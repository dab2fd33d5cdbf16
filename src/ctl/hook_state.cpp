#include "hook_state.hpp"

#include <nlohmann/json.hpp>

namespace isolcpus {

Expected<HookStage> hook_stage(std::string_view name) {
  if (name == "createRuntime" || name == "prestart") {
    return HookStage::kIsolate;
  }
  if (name == "auto") {
    return HookStage::kAuto;
  }
  if (name == "poststop") {
    return HookStage::kRelease;
  }
  if (name == "createContainer" || name == "startContainer" || name == "poststart") {
    return HookStage::kIgnore;
  }
  return make_error("unknown hook stage \"" + std::string(name) +
                    "\"; use createRuntime (or prestart) to isolate and poststop to release");
}

Expected<HookStage> stage_from_status(std::string_view status) {
  if (status == "creating" || status == "created") {
    return HookStage::kIsolate;
  }
  if (status == "stopped") {
    return HookStage::kRelease;
  }
  if (status == "running") {
    return HookStage::kIgnore;
  }
  return make_error("hook auto: the OCI state's status is \"" + std::string(status) +
                    "\", expected creating, created, running or stopped");
}

Expected<HookState> parse_hook_state(std::string_view json_text) {
  const auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(
        "the hook's stdin is not an OCI state JSON object (is the hook run by an OCI runtime?)");
  }
  HookState state;
  const auto id = doc.find("id");
  if (id == doc.end() || !id->is_string() || id->get<std::string>().empty()) {
    return make_error("the OCI state on stdin has no \"id\"");
  }
  state.id = id->get<std::string>();
  if (const auto pid = doc.find("pid"); pid != doc.end() && pid->is_number_integer()) {
    const auto value = pid->get<long long>();
    if (value < 0 || value > 0x3fffffff) {
      return make_error("the OCI state on stdin has an impossible pid " + std::to_string(value));
    }
    state.pid = static_cast<int>(value);
  }
  if (const auto bundle = doc.find("bundle"); bundle != doc.end() && bundle->is_string()) {
    state.bundle = bundle->get<std::string>();
  }
  if (const auto status = doc.find("status"); status != doc.end() && status->is_string()) {
    state.status = status->get<std::string>();
  }
  if (const auto ann = doc.find("annotations"); ann != doc.end() && ann->is_object()) {
    for (const auto& [k, v] : ann->items()) {
      if (v.is_string()) {
        state.annotations[k] = v.get<std::string>();
      }
    }
  }
  return state;
}

}  // namespace isolcpus
