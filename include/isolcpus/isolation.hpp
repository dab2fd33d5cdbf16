// Isolation: the record of what was (or is about to be) changed in the kernel
// for one container, exact enough to undo it after a crash.
#pragma once

#include <optional>
#include <string>
#include <variant>
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

// The v2 isolator's own record: CPUs it added to each ancestor's
// cpuset.cpus.exclusive, top-down.
struct V2Changes {
  std::vector<LevelAddition> ancestor_additions;
  friend bool operator==(const V2Changes&, const V2Changes&) = default;
};

// The v1 isolator's own record: the container cpuset's sched_load_balance
// before it was set to 0.
struct V1Changes {
  std::optional<bool> container_flag_original;
  friend bool operator==(const V1Changes&, const V1Changes&) = default;
};

struct Isolation {
  std::string isolator;  // kIsolatorV2 or kIsolatorV1
  std::string cgroup;    // the container's cgroup, relative to the mount
  CpuSet cpus;
  // What only the isolator named above reads and writes (monostate: an
  // isolator this version does not know).
  std::variant<std::monostate, V2Changes, V1Changes> changes;
  friend bool operator==(const Isolation&, const Isolation&) = default;
};

// The isolator's own record in `isolation`, or an empty one when it holds
// another's (a record that names no change changes nothing).
template <class Changes>
Changes changes_of(const Isolation& isolation) {
  const Changes* own = std::get_if<Changes>(&isolation.changes);
  return own != nullptr ? *own : Changes{};
}

// v1 node-wide state: shared by every isolated container, undone when the
// last one goes.
struct V1NodeRecord {
  std::optional<bool> root_flag_original;  // set while we hold the root flag at 0
  std::string balanced_cgroup;             // our task-less balanced cpuset ("" = none)
  std::vector<FlagChange> flag_changes;    // other cpusets we set to 0, with originals
  friend bool operator==(const V1NodeRecord&, const V1NodeRecord&) = default;
};

}  // namespace isolcpus
