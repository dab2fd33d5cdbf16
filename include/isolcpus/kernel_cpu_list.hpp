// What the kernel makes of a string written to a cpuset's CPU list: the
// syntax `runc update` passes through untouched, so the wrapper must read it
// exactly as the kernel will (CpuSet::parse reads what the kernel prints,
// which is a much smaller language).
#pragma once

#include <string_view>

#include "isolcpus/cpuset.hpp"
#include "isolcpus/expected.hpp"

namespace isolcpus {

// cpuset_write_resmask + bitmap_parselist (Linux 5.16 .. 6.12): the text
// ends at its first NUL; leading and trailing whitespace (the kernel's
// isspace: \t \n \v \f \r, space and 0xA0) is stripped, and what is left
// empty means the empty set (cgroup v2: the container falls back to its
// parent's CPUs; v1 refuses it while tasks run).  Otherwise regions are
// separated by commas or whitespace, parsing stops at a newline, and a
// region is
//   N | N-M | N-M:USED/GROUP | all | all:USED/GROUP
// with decimal numbers, "N" for the last CPU (nbits - 1) in any number's
// place, and "all" (any case) for 0-(nbits - 1).  `nbits` is nr_cpu_ids
// (the possible CPUs; 0 or more than CpuSet::kMaxCpus mean kMaxCpus); a CPU
// at or above it is an error, as is a reversed
// range, a zero GROUP, USED > GROUP, or a number beyond 32 bits.
Expected<CpuSet> parse_kernel_cpu_list(std::string_view text, unsigned nbits);

}  // namespace isolcpus
