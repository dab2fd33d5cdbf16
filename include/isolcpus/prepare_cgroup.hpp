// For `run`: create the container's cgroup (and missing parents) before runc
// does, so its CPUs can be isolated before the workload exists.  runc joins
// an existing cgroup directory as its own (it creates them with mkdir -p).
// What a usable cpuset cgroup needs differs per version, as in runc's v1 and
// v2 cgroup managers: v1 copies the parent's cpus and mems down, v2 enables
// the controller in the parent's subtree.
#pragma once

#include <optional>

#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/cpuset.hpp"
#include "isolcpus/host_probe.hpp"

namespace isolcpus {

// Refuses a cgroup that already has tasks or children (cgroup_in_use).
Expected<void> prepare_cgroup(CgroupTree& tree, CgroupMode mode, const CgroupPath& cgroup, const CpuSet& cpus,
                              const std::optional<CpuSet>& mems);

}  // namespace isolcpus
