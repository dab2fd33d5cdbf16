// What `runc-isolcpus-ctl check` needs to know of the cpuset hierarchy, read
// (never written) by the kernel layer.  The file names come with the facts,
// so the rules that word the findings name no kernel file of their own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/host_probe.hpp"

namespace isolcpus {

struct DelegationLevel {
  std::string path;                            // absolute path of its subtree_control file
  std::optional<std::string> subtree_control;  // unset: unreadable
};

// The cgroup v2 files a finding may tell the operator about.
struct V2CpusetFileNames {
  std::string exclusive;        // a cgroup's claim of exclusive CPUs (6.7+)
  std::string partition;        // a cgroup's partition state
  std::string root_isolated;    // the root's summary of isolated CPUs (6.8+)
  std::string subtree_control;  // where a parent hands controllers down
};
[[nodiscard]] V2CpusetFileNames v2_cpuset_file_names();

struct CpusetFacts {
  std::optional<std::string> kubepods;  // absolute path, unset: not found
  // v2
  bool v2_exclusive_file = false;           // exclusive on a child
  bool v2_partition_file = false;           // partition on a child
  bool v2_root_isolated_file = false;       // root_isolated at the root
  std::vector<DelegationLevel> delegation;  // root, then down to kubepods
  V2CpusetFileNames v2_names = v2_cpuset_file_names();
  // v1
  std::optional<bool> v1_root_flag;  // unset: unreadable
  std::string v1_root_flag_file;     // absolute path of the root's sched_load_balance
};

// `mode` says which half to fill; kNone fills only kubepods.
[[nodiscard]] CpusetFacts probe_cpuset_facts(const CgroupTree& tree, CgroupMode mode);

}  // namespace isolcpus
