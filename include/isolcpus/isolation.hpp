// Isolation: the record of what was (or is about to be) changed in the kernel
// for one container, exact enough to undo it after a crash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "isolcpus/cpuset.hpp"

namespace isolcpus {

inline constexpr std::string_view kIsolatorV2 = "cgroup-v2-remote-partition";
inline constexpr std::string_view kIsolatorV1 = "cgroup-v1-sched-load-balance";

// v2: the CPUs this container added to one ancestor's cpuset.cpus.exclusive
// (only those that were not there before).
struct LevelAddition {
  std::string cgroup;  // relative to the mount
  CpuSet added;
  friend bool operator==(const LevelAddition&, const LevelAddition&) = default;
};

// v1: a cpuset whose sched_load_balance we changed, and what it was.
struct FlagChange {
  std::string cgroup;  // relative to the mount; "" = the root cpuset
  bool original = true;
  friend bool operator==(const FlagChange&, const FlagChange&) = default;
};

struct Isolation {
  std::string isolator;  // kIsolatorV2 or kIsolatorV1
  std::string cgroup;    // the container's cgroup, relative to the mount
  CpuSet cpus;
  std::vector<LevelAddition> ancestor_additions;  // v2, top-down
  std::optional<bool> container_flag_original;    // v1
  friend bool operator==(const Isolation&, const Isolation&) = default;
};

// v1 node-wide state: shared by every isolated container, undone when the
// last one goes.
struct V1NodeRecord {
  std::optional<bool> root_flag_original;  // set while we hold the root flag at 0
  std::string balanced_cgroup;             // our task-less balanced cpuset ("" = none)
  std::vector<FlagChange> flag_changes;    // other cpusets we set to 0, with originals
  friend bool operator==(const V1NodeRecord&, const V1NodeRecord&) = default;
};

}  // namespace isolcpus
