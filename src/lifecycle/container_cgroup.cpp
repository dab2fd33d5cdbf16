#include "container_cgroup.hpp"

namespace isolcpus {

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
      located.path = std::move(*path);
      located.source = "/proc/" + std::to_string(located.init.init_pid) + "/cgroup";
      return located;
    }
  }
  auto path = cgroup_from_cgroups_path(entry.cgroups_path, entry.systemd_cgroup, entry.container_id);
  if (!path) {
    return make_error("cannot tell the cgroup of container " + entry.container_id + " from cgroupsPath \"" +
                      entry.cgroups_path + "\": " + path.error().message);
  }
  located.path = std::move(*path);
  located.source = "cgroupsPath";
  return located;
}

}  // namespace isolcpus
