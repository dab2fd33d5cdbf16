// The operator's TOML config: parsed without crash or UB, and the one key
// the pass-through path reads without the TOML parser (runtime) agrees with
// the full parser whenever the quick scan claims to know it: both paths must
// exec the same runc.
#include "fuzz_support.hpp"
#include "isolcpus/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using isolcpus::RuntimeKey;
  using isolcpus::fuzz::check;
  const std::string_view text = isolcpus::fuzz::as_text(data, size);
  const auto load = isolcpus::parse_config(text, "/etc/runc-isolcpus/config.toml");
  for (const auto& problem : load.problems) {
    check(problem.starts_with("/etc/runc-isolcpus/config.toml:"), "every problem names the file");
  }
  const RuntimeKey key = isolcpus::scan_runtime_key(text);
  if (key.kind == RuntimeKey::Kind::kFound) {
    check(load.config.runtime == key.path, "scan and parser agree on a runtime the scan found");
  } else if (key.kind == RuntimeKey::Kind::kAbsent) {
    check(load.config.runtime.empty(), "no runtime for the scan, none for the parser");
  }
  return 0;
}
