// CgroupPath::parse and the linux.cgroupsPath mapping (cgroupfs and systemd
// drivers) on any bytes: nothing they accept can name "..", ".", an empty
// name or a NUL, so no path derived from config.json or runc's state leaves
// the cgroup mount.  crun's systemd mapping too, with the id's bytes as the
// subgroup annotation: its scope lies within the workload's path.
// Input: [driver byte] cgroupsPath NUL container-id.
#include <algorithm>
#include <climits>
#include <map>
#include <string>

#include "fuzz_support.hpp"
#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/crun_cgroup_path.hpp"

namespace {

using isolcpus::CgroupPath;
using isolcpus::fuzz::check;

void check_safe(const CgroupPath& path) {
  for (const std::string& part : path.parts()) {
    check(!part.empty() && part != "." && part != "..", "no empty, . or .. component");
    check(part.find('/') == std::string::npos && part.find('\0') == std::string::npos,
          "no '/' or NUL inside a component");
    check(part.size() <= NAME_MAX, "components fit NAME_MAX");
  }
  const auto again = CgroupPath::parse(path.str());
  check(again.has_value() && *again == path, "parse(str()) == path");
  check(path.is_within(path.parent()) && path.is_within(CgroupPath{}), "a path lies within its ancestors");
  check(path.ancestors().size() + 1 == std::max<std::size_t>(path.parts().size(), 1),
        "one ancestor per level but the last");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const bool systemd = (data[0] & 1U) != 0;
  const std::string_view rest = isolcpus::fuzz::as_text(data + 1, size - 1);
  const auto nul = rest.find('\0');
  const std::string_view cgroups_path = rest.substr(0, nul);
  const std::string_view id = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);

  if (const auto path = CgroupPath::parse(cgroups_path)) {
    check_safe(*path);
  }
  if (const auto path =
          isolcpus::cgroup_from_cgroups_path(cgroups_path, systemd, id, isolcpus::CgroupPath{})) {
    check_safe(*path);  // the root itself is refused by the isolators, not here
  }
  const std::map<std::string, std::string> annotations{{"run.oci.systemd.subgroup", std::string(id)}};
  if (const auto crun = isolcpus::crun_systemd_cgroup(cgroups_path, id, annotations)) {
    check_safe(crun->workload);
    const CgroupPath isolated = isolcpus::crun_cgroup_to_isolate(crun->workload, crun->scope, true);
    check_safe(isolated);
    check(crun->workload.is_within(isolated) && !isolated.is_root(), "the scope holds the workload");
  }
  return 0;
}
