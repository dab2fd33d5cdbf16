// make_isolator: the one place that turns host facts into a mechanism, or
// into an error that tells the operator what the node lacks.
#include "isolcpus/isolator.hpp"

#include <string>

namespace isolcpus {

namespace {
// Remote cpuset partitions (cpuset.cpus.exclusive) arrived in Linux 6.7;
// before that a partition's parent must itself be a partition root, which a
// container's nested cgroup never is.
bool has_remote_partitions(const KernelVersion& kernel) { return kernel >= KernelVersion{6, 7, {}}; }
}  // namespace

Expected<std::unique_ptr<Isolator>> make_isolator(const HostFacts& host, CgroupTree& tree) {
  switch (host.mode) {
    case CgroupMode::kV2:
      if (has_remote_partitions(host.kernel)) {
        return make_v2_isolator(tree, host.kernel);
      }
      return make_error(
          "kernel " + host.kernel.release +
          " has cgroup v2 without remote cpuset partitions (cpuset.cpus.exclusive, Linux 6.7+): "
          "a container's nested cgroup cannot be isolated. Upgrade to 6.7+ or boot with cgroup "
          "v1 (systemd.unified_cgroup_hierarchy=0)");
    case CgroupMode::kV1:
      return make_v1_isolator(tree);
    case CgroupMode::kNone:
      break;
  }
  return make_error(
      "no cpuset cgroup controller is mounted: found neither a cgroup2 mount whose cgroup.controllers "
      "lists \"cpuset\" nor a cgroup v1 hierarchy with the cpuset controller (checked /proc/self/mountinfo "
      "under host_root). Enable cpuset on cgroup v2 (echo +cpuset > /sys/fs/cgroup/cgroup.subtree_control, "
      "kernel 6.7+) or mount it on v1 (mount -t cgroup -o cpuset cpuset /sys/fs/cgroup/cpuset)");
}

}  // namespace isolcpus
