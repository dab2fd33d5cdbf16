#include "isolcpus/prepare_cgroup.hpp"

#include <vector>

#include "isolcpus/text.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kCpus = "cpuset.cpus";
constexpr std::string_view kMems = "cpuset.mems";
constexpr std::string_view kSubtreeControl = "cgroup.subtree_control";

// v1 cpusets start with empty cpus and mems (clone_children is 0 by
// default), and a task cannot join such a cpuset: copy the parent's down.
Expected<void> inherit_v1(CgroupTree& tree, const CgroupPath& cg) {
  for (const std::string_view file : {kCpus, kMems}) {
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
  auto control = tree.read(parent, kSubtreeControl);
  if (!control) {
    return control.error();
  }
  if (control->find("cpuset") != std::string::npos) {
    return {};
  }
  return tree.write(parent, kSubtreeControl, "+cpuset");
}

Expected<void> make_level_v1(CgroupTree& tree, const CgroupPath& level) {
  if (auto ok = tree.make(level); !ok) {
    return ok;
  }
  return inherit_v1(tree, level);
}

Expected<void> make_level_v2(CgroupTree& tree, const CgroupPath& level) {
  if (auto ok = enable_cpuset_v2(tree, level.parent()); !ok) {
    return ok;
  }
  return tree.make(level);
}

Expected<void> make_missing_levels(CgroupTree& tree, CgroupMode mode, const CgroupPath& cgroup) {
  auto levels = cgroup.ancestors();
  levels.push_back(cgroup);
  for (const auto& level : levels) {
    if (tree.exists(level)) {
      continue;
    }
    auto made = mode == CgroupMode::kV2   ? make_level_v2(tree, level)
                : mode == CgroupMode::kV1 ? make_level_v1(tree, level)
                                          : tree.make(level);
    if (!made) {
      return made;
    }
  }
  // An existing container cgroup's parent may still lack the controller.
  if (mode == CgroupMode::kV2) {
    return enable_cpuset_v2(tree, cgroup.parent());
  }
  return {};
}

}  // namespace

Expected<void> prepare_cgroup(CgroupTree& tree, CgroupMode mode, const CgroupPath& cgroup, const CpuSet& cpus,
                              const std::optional<CpuSet>& mems) {
  // An empty cgroupsPath becomes /<id> under crun: an id must not reach a
  // cgroup others run in (system.slice, init.scope) and rewrite its cpus.
  if (tree.exists(cgroup) && cgroup_in_use(tree, cgroup)) {
    return make_error("cgroup " + tree.describe(cgroup, "") +
                      " already exists with tasks or child cgroups: it is not this container's; not "
                      "preparing or isolating it (is linux.cgroupsPath or the container id right?)");
  }
  if (auto ok = make_missing_levels(tree, mode, cgroup); !ok) {
    return ok;
  }
  if (mems && !mems->empty()) {
    if (auto ok = tree.write(cgroup, kMems, mems->to_string()); !ok) {
      return ok;
    }
  }
  return tree.write(cgroup, kCpus, cpus.to_string());
}

}  // namespace isolcpus
