// The `runc update -r FILE|-` document (LinuxResources JSON), which the
// caller controls: read without crash or UB; a cpu.cpus it returns is a
// real, non-empty CPU set.
#include "fuzz_support.hpp"
#include "isolcpus/update_resources.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto cpus = isolcpus::parse_update_cpus(isolcpus::fuzz::as_text(data, size), "stdin");
  if (!cpus) {
    isolcpus::fuzz::check(cpus.error().message.starts_with("stdin: "), "a refusal names the input");
    return 0;
  }
  if (*cpus) {
    isolcpus::fuzz::check(!(*cpus)->empty(), "new cpus are never the empty set");
  }
  return 0;
}
