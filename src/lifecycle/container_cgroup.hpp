// Where a container's cpuset cgroup is.  Ground truth is the init process's
// own /proc/PID/cgroup; the spec's cgroupsPath is the fallback (and the only
// source before the container exists, for `run`).
#pragma once

#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/ledger.hpp"
#include "node_session.hpp"
#include "runc_state.hpp"

namespace isolcpus {

struct LocatedCgroup {
  CgroupPath path;
  RuncState init;      // init_pid 0 when located from cgroupsPath
  std::string source;  // for the log: "/proc/123/cgroup" or "cgroupsPath"
};

Expected<LocatedCgroup> locate_container_cgroup(const LedgerEntry& entry, NodeSession& node);

}  // namespace isolcpus
