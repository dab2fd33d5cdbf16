// /proc/PID/cgroup lines, whose path part is a cgroup name a container may
// choose: the line for the cpuset hierarchy (v1) or the unified one (v2) is
// found without crash, and what the wrapper then makes of it (CgroupPath)
// is one line.
#include "fuzz_support.hpp"
#include "isolcpus/cgroup_path.hpp"
#include "lifecycle/runc_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = isolcpus::fuzz::as_text(data, size);
  for (const auto mode : {isolcpus::CgroupMode::kV1, isolcpus::CgroupMode::kV2}) {
    const auto cgroup = isolcpus::parse_proc_cgroup(text, mode);
    if (!cgroup) {
      continue;
    }
    isolcpus::fuzz::check(cgroup->find('\n') == std::string::npos, "one line's path, never two");
    isolcpus::fuzz::check(text.find(*cgroup) != std::string_view::npos, "the path is taken from the text");
    (void)isolcpus::CgroupPath::parse(*cgroup);
  }
  return 0;
}
