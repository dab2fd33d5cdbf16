// CgroupPath::parse and the linux.cgroupsPath mapping (cgroupfs and systemd
// drivers) on any bytes: nothing they accept can name "..", ".", an empty
// name or a NUL, so no path derived from config.json or runc's state leaves
// the cgroup mount.  Input: [driver byte] cgroupsPath NUL container-id.
#include <algorithm>
#include <climits>
#include <string>

#include "fuzz_support.hpp"
#include "isolcpus/cgroup_path.hpp"

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
  return 0;
}
