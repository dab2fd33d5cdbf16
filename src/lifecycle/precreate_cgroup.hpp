// For `run`: create the container's cgroup (and missing parents) before runc
// does, so its CPUs can be isolated before the workload exists.  runc joins
// an existing cgroup directory as its own (it creates them with mkdir -p).
#pragma once

#include <optional>

#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/cpuset.hpp"
#include "isolcpus/host_probe.hpp"

namespace isolcpus {

Expected<void> precreate_cgroup(CgroupTree& tree, CgroupMode mode, const CgroupPath& cgroup,
                                const CpuSet& cpus, const std::optional<CpuSet>& mems);

}  // namespace isolcpus
