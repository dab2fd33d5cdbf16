// runc's <root>/<id>/state.json, which a container's owner can influence
// (labels) and a crash can truncate: parsed without crash or UB.
#include "fuzz_support.hpp"
#include "lifecycle/runc_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto state = isolcpus::parse_runc_state(isolcpus::fuzz::as_text(data, size), "state.json");
  if (!state) {
    isolcpus::fuzz::check(state.error().message.starts_with("state.json: "), "a refusal names the file");
  }
  return 0;
}
