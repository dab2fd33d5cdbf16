// A process's own cgroup, as /proc/PID/cgroup tells it: the ground truth of
// where a container runs, whatever its spec's cgroupsPath said.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/expected.hpp"
#include "isolcpus/host_probe.hpp"

namespace isolcpus {

// <proc>/<pid>/cgroup: the one place that spells the file, for reading it
// and for naming it in messages.
[[nodiscard]] std::filesystem::path proc_cgroup_file(const std::filesystem::path& proc, int pid);

// The process's cgroup in the hierarchy that carries cpuset, relative to
// that hierarchy's mount ("0::/a/b" for v2, "N:...cpuset...:/a/b" for v1).
Expected<std::string> process_cpuset_cgroup(const std::filesystem::path& proc, int pid, CgroupMode mode);
// Pure: the same from the text of a /proc/PID/cgroup file; nullopt when no
// line names that hierarchy.
std::optional<std::string> parse_proc_cgroup(std::string_view text, CgroupMode mode);

}  // namespace isolcpus
