// Where a container's cpuset cgroup is.  Ground truth is the init process's
// own /proc/PID/cgroup; the spec's cgroupsPath is the fallback (and the only
// source before the container exists, for `run`).
#pragma once

#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/node_session.hpp"
#include "isolcpus/parse_invocation.hpp"  // RuntimeKind
#include "runc_state.hpp"

namespace isolcpus {

struct LocatedCgroup {
  CgroupPath path;      // the one to isolate
  CgroupPath workload;  // where the init runs (below `path` for crun's v2 subgroup)
  RuncState init;       // init_pid 0 when located from cgroupsPath
  std::string source;   // for the log: "/proc/123/cgroup" or "cgroupsPath"
};

Expected<LocatedCgroup> locate_container_cgroup(const LedgerEntry& entry, NodeSession& node);

// The cgroup runc makes for this cgroupsPath when this process becomes (or
// runs) runc: an empty or relative cgroupfs path is resolved against this
// process's own cgroup, as runc resolves it against its own.  crun's
// cgroupfs driver (libcrun/cgroup-cgroupfs.c) puts both at the hierarchy's
// root instead: "" -> /<id>, "a/b" -> /a/b.  crun's systemd driver names
// its scope its own way and runs the workload in a subgroup of it, which
// the spec's annotations name (crun_cgroup_path.hpp).
Expected<CgroupPath> cgroup_runc_would_use(std::string_view cgroups_path, bool systemd,
                                           std::string_view container_id, NodeSession& node,
                                           RuntimeKind runtime = RuntimeKind::kRunc,
                                           const std::map<std::string, std::string>& annotations = {});

}  // namespace isolcpus
