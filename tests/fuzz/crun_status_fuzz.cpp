// crun's <root>/<id>/status (crun 1.8.1, libcrun/status.c), which a crash
// can truncate and whose bundle path is the caller's: parsed without crash
// or UB, like runc's state.json.
#include "fuzz_support.hpp"
#include "lifecycle/runc_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto state = isolcpus::parse_crun_status(isolcpus::fuzz::as_text(data, size), "status");
  if (!state) {
    isolcpus::fuzz::check(state.error().message.starts_with("status: "), "a refusal names the file");
  }
  return 0;
}
