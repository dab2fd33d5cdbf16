#include "precreate_cgroup.hpp"

#include "isolcpus/text.hpp"

namespace isolcpus {
namespace {

// v1 cpusets start with empty cpus and mems (clone_children is 0 by
// default), and a task cannot join such a cpuset: copy the parent's down.
Expected<void> inherit_v1(CgroupTree& tree, const CgroupPath& cg) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    auto parent = tree.read(cg.parent(), file);
    if (!parent) {
      return parent.error();
    }
    if (auto ok = tree.write(cg, file, trim_right(*parent)); !ok) {
      return ok;
    }
  }
  return {};
}

Expected<void> enable_cpuset_v2(CgroupTree& tree, const CgroupPath& parent) {
  auto control = tree.read(parent, "cgroup.subtree_control");
  if (!control) {
    return control.error();
  }
  if (control->find("cpuset") != std::string::npos) {
    return {};
  }
  return tree.write(parent, "cgroup.subtree_control", "+cpuset");
}

}  // namespace

Expected<void> precreate_cgroup(CgroupTree& tree, CgroupMode mode, const CgroupPath& cgroup,
                                const CpuSet& cpus, const std::optional<CpuSet>& mems) {
  // An empty cgroupsPath becomes /<id> under crun: an id must not reach a
  // cgroup others run in (system.slice, init.scope) and rewrite its cpus.
  if (tree.exists(cgroup) && cgroup_in_use(tree, cgroup)) {
    return make_error("cgroup " + tree.describe(cgroup, "") +
                      " already exists with tasks or child cgroups: it is not this container's; not "
                      "preparing or isolating it (is linux.cgroupsPath or the container id right?)");
  }
  auto levels = cgroup.ancestors();
  levels.push_back(cgroup);
  for (const auto& level : levels) {
    if (tree.exists(level)) {
      continue;
    }
    if (mode == CgroupMode::kV2) {
      if (auto ok = enable_cpuset_v2(tree, level.parent()); !ok) {
        return ok;
      }
    }
    if (auto ok = tree.make(level); !ok) {
      return ok;
    }
    if (mode == CgroupMode::kV1) {
      if (auto ok = inherit_v1(tree, level); !ok) {
        return ok;
      }
    }
  }
  if (mode == CgroupMode::kV2) {
    if (auto ok = enable_cpuset_v2(tree, cgroup.parent()); !ok) {
      return ok;
    }
  }
  if (mems && !mems->empty()) {
    if (auto ok = tree.write(cgroup, "cpuset.mems", mems->to_string()); !ok) {
      return ok;
    }
  }
  return tree.write(cgroup, "cpuset.cpus", cpus.to_string());
}

}  // namespace isolcpus
