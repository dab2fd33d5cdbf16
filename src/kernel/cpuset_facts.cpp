#include "isolcpus/cpuset_facts.hpp"

#include "isolcpus/text.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kFlag = "cpuset.sched_load_balance";

std::optional<CgroupPath> find_kubepods(const CgroupTree& tree) {
  for (const char* name : {"kubepods.slice", "kubepods"}) {
    auto cg = CgroupPath::parse(name);
    if (cg && tree.exists(*cg)) {
      return *cg;
    }
  }
  return std::nullopt;
}

void probe_v1(const CgroupTree& tree, CpusetFacts& f) {
  const CgroupPath root;
  f.v1_root_flag_file = tree.describe(root, kFlag);
  if (auto flag = tree.read(root, kFlag)) {
    f.v1_root_flag = trim_right(*flag) != "0";
  }
}

// The partition files exist only in cgroups where cpuset is enabled.
void probe_v2_partitions(const CgroupTree& tree, const std::optional<CgroupPath>& kubepods, CpusetFacts& f) {
  const auto& names = f.v2_names;
  std::vector<CgroupPath> probes;
  if (kubepods) {
    probes.push_back(*kubepods);
  }
  for (const auto& child : tree.children(CgroupPath())) {
    probes.push_back(child);
  }
  for (const auto& cg : probes) {
    if (tree.has_file(cg, names.partition)) {
      f.v2_partition_file = true;
      f.v2_exclusive_file = tree.has_file(cg, names.exclusive);
      break;
    }
  }
}

// Delegation: cpuset must be enabled from the root down to kubepods (whose
// own subtree_control hands it to the QoS and pod cgroups).
void probe_v2_delegation(const CgroupTree& tree, const std::optional<CgroupPath>& kubepods, CpusetFacts& f) {
  std::vector<CgroupPath> levels{CgroupPath()};
  if (kubepods) {
    levels.push_back(*kubepods);
  }
  for (const auto& cg : levels) {
    DelegationLevel level;
    level.path = tree.describe(cg, f.v2_names.subtree_control);
    if (auto text = tree.read(cg, f.v2_names.subtree_control)) {
      level.subtree_control = std::string(trim_right(*text));
    }
    f.delegation.push_back(std::move(level));
  }
}

}  // namespace

V2CpusetFileNames v2_cpuset_file_names() {
  return {"cpuset.cpus.exclusive", "cpuset.cpus.partition", "cpuset.cpus.isolated", "cgroup.subtree_control"};
}

CpusetFacts probe_cpuset_facts(const CgroupTree& tree, CgroupMode mode) {
  CpusetFacts f;
  const auto kubepods = find_kubepods(tree);
  if (kubepods) {
    f.kubepods = tree.describe(*kubepods, "");
  }
  if (mode == CgroupMode::kV1) {
    probe_v1(tree, f);
  } else if (mode == CgroupMode::kV2) {
    f.v2_root_isolated_file = tree.has_file(CgroupPath(), f.v2_names.root_isolated);
    probe_v2_partitions(tree, kubepods, f);
    probe_v2_delegation(tree, kubepods, f);
  }
  return f;
}

}  // namespace isolcpus
