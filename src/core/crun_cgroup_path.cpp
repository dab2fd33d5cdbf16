#include "isolcpus/crun_cgroup_path.hpp"

#include <climits>

namespace isolcpus {
namespace {

struct ScopeAndSlice {
  std::string scope;
  std::string_view slice;
};

ScopeAndSlice scope_and_slice(std::string_view cgroups_path, std::string_view container_id) {
  if (cgroups_path.empty()) {
    return {"crun-" + std::string(container_id) + ".scope", "system.slice"};
  }
  const std::size_t colon = cgroups_path.find(':');
  if (colon == std::string_view::npos) {
    return {std::string(cgroups_path) + ".scope", cgroups_path};
  }
  // Only the first colon after the slice's becomes '-', as crun does.
  std::string unit(cgroups_path.substr(colon + 1));
  if (const std::size_t second = unit.find(':'); second != std::string::npos) {
    unit[second] = '-';
  }
  return {unit + ".scope", cgroups_path.substr(0, colon)};
}

Expected<CgroupPath> with_subgroup(CgroupPath scope, const std::map<std::string, std::string>& annotations) {
  const auto found = annotations.find(std::string(kCrunSubgroupAnnotation));
  const std::string subgroup = found == annotations.end() ? std::string("container") : found->second;
  auto parts = CgroupPath::parse(subgroup);
  if (!parts) {
    return make_error("annotation " + std::string(kCrunSubgroupAnnotation) + ": " + parts.error().message);
  }
  for (const std::string& part : parts->parts()) {
    scope = scope.child(part);
  }
  return scope;
}

}  // namespace

Expected<CrunSystemdCgroup> crun_systemd_cgroup(std::string_view cgroups_path, std::string_view container_id,
                                                const std::map<std::string, std::string>& annotations) {
  const ScopeAndSlice unit = scope_and_slice(cgroups_path, container_id);
  const std::string where =
      "linux.cgroupsPath \"" + std::string(cgroups_path) + "\" under crun's systemd driver";
  auto slice = systemd_slice_path(unit.slice);
  if (!slice) {
    return make_error(where + ": " + slice.error().message);
  }
  // systemd refuses a unit name with '/' or longer than a unit name may be;
  // CgroupPath refuses "." and "..", so this stays one level.
  auto scope = CgroupPath::parse(unit.scope);
  if (!scope || unit.scope.find('/') != std::string::npos || unit.scope.size() > NAME_MAX) {
    return make_error(where + ": \"" + unit.scope + "\" cannot be a systemd unit name");
  }
  auto workload = with_subgroup(slice->child(unit.scope), annotations);
  if (!workload) {
    return workload.error();
  }
  return CrunSystemdCgroup{std::move(*workload), unit.scope};
}

CgroupPath crun_cgroup_to_isolate(const CgroupPath& workload, std::string_view scope, bool unified) {
  if (!unified || scope.empty()) {
    return workload;
  }
  // crun cuts its own path at the first component naming the scope.
  CgroupPath cut;
  for (const std::string& part : workload.parts()) {
    cut = cut.child(part);
    if (part == scope) {
      return cut;
    }
  }
  return workload;
}

}  // namespace isolcpus
