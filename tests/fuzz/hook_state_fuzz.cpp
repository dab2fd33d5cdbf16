// The OCI state a runtime writes on `runc-isolcpus-ctl hook`'s stdin:
// parsed without crash or UB; an accepted state has an id and a sane pid.
#include "ctl/hook_state.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto state = isolcpus::parse_hook_state(isolcpus::fuzz::as_text(data, size));
  if (state) {
    isolcpus::fuzz::check(!state->id.empty(), "an accepted state has an id");
    isolcpus::fuzz::check(state->pid >= 0, "no negative pid");
    (void)isolcpus::stage_from_status(state->status);
  }
  return 0;
}
