// Where crun's systemd cgroup manager puts a container, which is not where
// runc's does: crun names the scope differently and moves the workload into a
// subgroup of it.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/expected.hpp"

namespace isolcpus {

// The annotation that names crun's subgroup; absent means "container", an
// empty value means none.
inline constexpr std::string_view kCrunSubgroupAnnotation = "run.oci.systemd.subgroup";

struct CrunSystemdCgroup {
  CgroupPath workload;  // where the container's processes run
  std::string scope;    // the scope unit's name, "crun-<id>.scope"
};

// crun 1.8.1 (libcrun/cgroup-systemd.c), for linux.cgroupsPath:
//  - ""               -> scope "crun-<id>.scope" in systemd's default slice
//                        (system.slice for the system manager);
//  - "slice:p:n"      -> scope "p-n.scope" in `slice` (a name ending in
//                        ".slice" is not special, unlike runc);
//  - "slice:p"        -> scope "p.scope" in `slice`;
//  - "x" (no colon)   -> scope "x.scope" in slice "x".
// The container's processes then run in "<scope>/<subgroup>" (see
// kCrunSubgroupAnnotation).  Refused where systemd would refuse the unit.
Expected<CrunSystemdCgroup> crun_systemd_cgroup(std::string_view cgroups_path, std::string_view container_id,
                                                const std::map<std::string, std::string>& annotations);

// The cgroup to isolate for a workload crun runs below systemd scope
// `scope` ("" when crun's cgroupfs driver made it).  On cgroup v2 that is
// the scope itself: when systemd starts the unit it rewrites the scope's
// cgroup.subtree_control and crun enables the controllers again, which
// resets every cpuset file of the subgroup, a partition included (seen in
// the systemd guest with 1.8.1 and systemd 252), while the scope's own
// files hang on its slice, where systemd keeps cpuset.  On v1 systemd does
// not manage the cpuset hierarchy: the workload's own cgroup.
CgroupPath crun_cgroup_to_isolate(const CgroupPath& workload, std::string_view scope, bool unified);

}  // namespace isolcpus
