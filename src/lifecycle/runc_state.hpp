// What runc and /proc say about a container: its init process and cgroup.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/expected.hpp"
#include "isolcpus/host.hpp"

namespace isolcpus {

// runc's own rule for container ids, checked before an id becomes a path.
bool valid_container_id(std::string_view id);

struct RuncState {
  int init_pid = 0;
  std::uint64_t init_start_ticks = 0;
  std::string bundle;  // from the "bundle=" label runc keeps in its state
  // runc's own test: a container stays "created" while its exec fifo
  // exists, and `runc start` removes it.
  bool started = false;
};

// Reads <root>/<id>/state.json; nullopt when the container does not exist.
Expected<std::optional<RuncState>> read_runc_state(const std::filesystem::path& root, std::string_view id);
// Pure: the text of a state.json; `origin` names the file in messages.
Expected<RuncState> parse_runc_state(std::string_view json_text, std::string_view origin);

// /proc/<pid>/stat field 22 (start time in clock ticks); nullopt if the
// process is gone or a zombie.
std::optional<std::uint64_t> process_start_ticks(const std::filesystem::path& proc, int pid);

// The process's cgroup in the hierarchy that carries cpuset, relative to
// that hierarchy's mount ("0::/a/b" for v2, "N:...cpuset...:/a/b" for v1).
Expected<std::string> process_cpuset_cgroup(const std::filesystem::path& proc, int pid, CgroupMode mode);
// Pure: the same from the text of a /proc/PID/cgroup file; nullopt when no
// line names that hierarchy.
std::optional<std::string> parse_proc_cgroup(std::string_view text, CgroupMode mode);

}  // namespace isolcpus
