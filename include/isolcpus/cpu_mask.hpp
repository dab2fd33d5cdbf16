// The kernel's hex CPU mask format ("%*pb": 32-bit groups of hex digits,
// most significant first, separated by commas, e.g. "00000000,0000000f"),
// the format of /proc/irq/*/smp_affinity and default_smp_affinity.
#pragma once

#include <string>
#include <string_view>

#include "isolcpus/cpuset.hpp"
#include "isolcpus/expected.hpp"

namespace isolcpus {

Expected<CpuSet> parse_cpu_mask(std::string_view text);

// `cpus` in the layout of `like` (a mask the kernel printed: same digits
// and commas), so that what is written reads back as the same text.  CPUs
// beyond the layout's width are dropped: the kernel has no such CPU.
std::string format_cpu_mask_like(std::string_view like, const CpuSet& cpus);

}  // namespace isolcpus
