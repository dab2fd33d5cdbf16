#include "container_cgroup.hpp"

#include <unistd.h>

#include "isolcpus/crun_cgroup_path.hpp"
#include "isolcpus/proc_cgroup.hpp"

namespace isolcpus {

Expected<CgroupPath> cgroup_runc_would_use(std::string_view cgroups_path, bool systemd,
                                           std::string_view container_id, NodeSession& node,
                                           RuntimeKind runtime,
                                           const std::map<std::string, std::string>& annotations) {
  auto facts = node.host();
  if (!facts) {
    return facts.error();
  }
  if (systemd && runtime == RuntimeKind::kCrun) {
    auto crun = crun_systemd_cgroup(cgroups_path, container_id, annotations);
    if (!crun) {
      return crun.error();
    }
    return crun_cgroup_to_isolate(crun->workload, crun->scope, (*facts)->mode == CgroupMode::kV2);
  }
  CgroupPath base;
  if (!systemd && !cgroups_path.starts_with('/') && runtime == RuntimeKind::kRunc) {
    auto own = process_cpuset_cgroup(node.proc(), static_cast<int>(::getpid()), (*facts)->mode);
    auto parsed = own ? CgroupPath::parse(*own) : Expected<CgroupPath>(own.error());
    if (!parsed) {
      return make_error(
          "cgroupsPath \"" + std::string(cgroups_path) +
          "\" is relative to runc's own cgroup, which cannot be read: " + parsed.error().message);
    }
    base = runc_relative_base(*parsed, (*facts)->mode == CgroupMode::kV2);
  }
  return cgroup_from_cgroups_path(cgroups_path, systemd, container_id, base);
}

Expected<LocatedCgroup> locate_container_cgroup(const LedgerEntry& entry, NodeSession& node) {
  auto facts = node.host();
  if (!facts) {
    return facts.error();
  }
  LocatedCgroup located;
  std::optional<RuncState> init;
  if (entry.runc_root == kHookRoot) {
    // No runc state to read: the process the hook recorded, while it lives.
    if (node.process_alive(ProcessRef{entry.init_pid, entry.init_start_ticks})) {
      init.emplace();
      init->init_pid = entry.init_pid;
      init->init_start_ticks = entry.init_start_ticks;
      init->bundle = entry.bundle;
    }
  } else if (auto state = read_runc_state(entry.runc_root, entry.container_id); state && *state) {
    init = **state;
  }
  if (init) {
    located.init = *init;
    auto raw = process_cpuset_cgroup(node.proc(), located.init.init_pid, (*facts)->mode);
    if (raw) {
      auto path = CgroupPath::parse(*raw);
      if (!path) {
        return make_error("cgroup \"" + *raw + "\" of container " + entry.container_id +
                          " is not a safe path: " + path.error().message);
      }
      located.path =
          crun_cgroup_to_isolate(*path, located.init.systemd_scope, (*facts)->mode == CgroupMode::kV2);
      // crun's subgroup: one level below the scope it isolates, not a unit
      // (an init that moved on, e.g. systemd inside the container, is the
      // container's own business: its scope's quota is the one lifted).
      const std::string& leaf = path->is_root() ? std::string() : path->parts().back();
      located.workload =
          path->parent() == located.path && !leaf.ends_with(".scope") && !leaf.ends_with(".slice")
              ? *path
              : located.path;
      located.source = proc_cgroup_file("/proc", located.init.init_pid).string();
      return located;
    }
  }
  // The caller that created it (a shim) is most often the caller now.  The
  // ledger keeps no annotations: a crun subgroup is taken as crun's default.
  auto path = cgroup_runc_would_use(entry.cgroups_path, entry.systemd_cgroup, entry.container_id, node,
                                    runtime_kind(node.config().runtime));
  if (!path) {
    return make_error("cannot tell the cgroup of container " + entry.container_id + " from cgroupsPath \"" +
                      entry.cgroups_path + "\": " + path.error().message);
  }
  located.path = std::move(*path);
  located.workload = located.path;  // crun's subgroup, if any, is not known here
  located.source = "cgroupsPath";
  return located;
}

}  // namespace isolcpus
