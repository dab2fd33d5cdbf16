// Tunings: CRI-O's high-performance annotations other than load balancing
// (CFS quota, IRQ balancing, C-states, CPU frequency governor), as values.
// Each knob turns into writes of kernel files; a TuningChange records one
// such write exactly enough to undo it after a crash, in the ledger, before
// it is made.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/cpuset.hpp"

namespace isolcpus {

enum class Knob { kCpuQuota, kIrqLoadBalancing, kCStates, kGovernor };

inline constexpr std::array kAllKnobs = {Knob::kCpuQuota, Knob::kIrqLoadBalancing, Knob::kCStates,
                                         Knob::kGovernor};

// "cpu-quota", "irq-load-balancing", "cpu-c-states", "cpu-freq-governor":
// CRI-O's annotation key without ".crio.io", and the name the config,
// ledger and status use.
std::string_view knob_name(Knob knob);
std::optional<Knob> knob_from_name(std::string_view name);
std::string annotation_key(Knob knob);  // "<name>.crio.io"

// What a pod asked of one knob, its value normalised: "disable" (quota),
// "disable" or "housekeeping" (IRQs), "enable", "disable" or
// "max_latency:N" (C-states), a governor's name.
struct Tuning {
  Knob knob = Knob::kCpuQuota;
  std::string value;
  friend bool operator==(const Tuning&, const Tuning&) = default;
};

// One kernel file changed for a container.  Several containers may hold a
// change of the same file (a pod's cgroup quota, a cpufreq policy shared by
// CPUs, an IRQ's mask): they carry the same `original`, taken by the first,
// and the file gets it back when the last one goes.
// A TuningChange's `original` for a file that did not exist: the change
// created it (a systemd drop-in) and its undo removes it.
inline constexpr std::string_view kAbsentFile = "(absent)";

struct TuningChange {
  Knob knob = Knob::kCpuQuota;
  std::string file;      // absolute, as on the host (host_root is not part of it)
  std::string original;  // what it read before anyone changed it
  std::string written;   // what this container's tuning wants it to read
  CpuSet cpus;           // the CPUs this change is for (IRQs: the ones taken out of its mask)
  friend bool operator==(const TuningChange&, const TuningChange&) = default;
};

}  // namespace isolcpus
