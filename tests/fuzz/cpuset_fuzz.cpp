// CpuSet::parse on any bytes (cpuset.cpus, config.json, `update -r`, the
// TOML config and the ledger all read CPU lists): no crash, no UB, and a set
// it accepts prints in the kernel's canonical form and reads back as itself.
#include "fuzz_support.hpp"
#include "isolcpus/cpuset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using isolcpus::CpuSet;
  using isolcpus::fuzz::check;
  const auto set = CpuSet::parse(isolcpus::fuzz::as_text(data, size));
  if (!set) {
    check(!set.error().message.empty(), "a refusal says why");
    return 0;
  }
  const std::string printed = set->to_string();
  const auto again = CpuSet::parse(printed);
  check(again.has_value(), "the printed form of a parsed set parses");
  check(*again == *set, "parse(print(set)) == set");
  check(again->to_string() == printed, "print is canonical");
  const auto cpus = set->cpus();
  check(cpus.size() == set->count(), "count() agrees with cpus()");
  check(cpus.empty() || cpus.back() < CpuSet::kMaxCpus, "no CPU beyond kMaxCpus");
  return 0;
}
