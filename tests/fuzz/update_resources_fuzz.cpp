// The `runc update -r FILE|-` document (LinuxResources JSON), which the
// caller controls: read without crash or UB; a cpu.cpus it returns is empty
// only when runc writes a list of nothing but separators (the kernel reads
// "," as the blank list, which unpins on cgroup v2).
#include <string>

#include "fuzz_support.hpp"
#include "isolcpus/update_resources.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(isolcpus::fuzz::as_text(data, size));
  const auto cpus = isolcpus::parse_update_cpus(text, "stdin");
  if (!cpus) {
    isolcpus::fuzz::check(cpus.error().message.starts_with("stdin: "), "a refusal names the input");
    return 0;
  }
  if (*cpus && (*cpus)->empty()) {
    // The kernel's list ends at a NUL or newline; before that, only
    // separators (commas and its whitespace, 0xA0 included) may stand.
    const auto written = isolcpus::runc_update_cpus_text(text, "stdin");
    isolcpus::fuzz::check(static_cast<bool>(written), "an empty set comes from a list runc writes");
    const std::string list = written->substr(0, written->find_first_of(std::string("\n\0", 2)));
    isolcpus::fuzz::check(!written->empty() && list.find_first_not_of(", \t\v\f\r\xA0") == std::string::npos,
                          "an empty set comes only from a list of separators");
  }
  return 0;
}
