// The cpus a `runc update` will give a container, read the way runc and the
// kernel read them.
//
// runc 1.1-1.5 (update.go): with `-r FILE` ("-" = stdin, and only when FILE
// is not ""), json.NewDecoder(f).Decode(&r) into a LinuxResources whose cpu
// section is preset, and the other update flags are ignored; without it,
// `--cpuset-cpus V` sets the cpus when V is not "".  A non-empty cpus
// string is then written to the cgroup as is, for the kernel to parse
// (include/isolcpus/kernel_cpu_list.hpp).
//
// Go's decoder reads the first JSON value only (whatever follows is never
// looked at), matches keys to fields case-insensitively (Unicode simple
// folding: "CPU", "Cpus", "cpuſ"), lets a later duplicate key win (merging
// into the object an earlier one filled, unless null emptied it), and
// decodes invalid UTF-8 and lone surrogates in strings to U+FFFD.  runc fails
// on a syntax error, on a type error anywhere in the document, and
// (nil pointer) when "cpu" ends up null.  Only what decides cpu.cpus is
// checked here: a type error elsewhere makes runc fail, which its exit
// status shows.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/cpuset.hpp"
#include "isolcpus/expected.hpp"

namespace isolcpus {

// The cpu.cpus string runc ends up with ("" when the document leaves it
// alone), or an error when runc fails on this document.  `origin` names the
// input in messages.
Expected<std::string> runc_update_cpus_text(std::string_view json_text, std::string_view origin);

// The container's cpus after the update: nullopt when runc leaves them
// alone, the empty set when it writes a blank list (cgroup v2: the parent's
// CPUs), an error when runc or the kernel refuses it (nothing changes).
// `possible_cpus` is the kernel's nr_cpu_ids ("N", "all").
Expected<std::optional<CpuSet>> parse_update_cpus(std::string_view json_text, std::string_view origin,
                                                  unsigned possible_cpus = CpuSet::kMaxCpus);

// The same for `--cpuset-cpus VALUE`.
Expected<std::optional<CpuSet>> parse_update_cpus_flag(std::string_view value, unsigned possible_cpus);

}  // namespace isolcpus
