// What runc and /proc say about a container: its init process and cgroup.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/expected.hpp"
#include "isolcpus/host_probe.hpp"
#include "isolcpus/proc_cgroup.hpp"  // process_cpuset_cgroup, for its callers

namespace isolcpus {

// What the runtime (runc or crun) recorded about a container.
struct RuncState {
  int init_pid = 0;
  std::uint64_t init_start_ticks = 0;
  std::string bundle;  // runc: its "bundle=" label; crun: its "bundle" key
  // crun: "cgroup-path" is empty, the container was made with
  // --cgroup-manager=disabled: there is no cgroup of its own to isolate.
  bool no_cgroup = false;
  // crun's systemd driver: the scope unit ("scope"), whose subgroup the
  // workload runs in; "" for runc and crun's cgroupfs driver.
  std::string systemd_scope;
  // runc's and crun's own test: a container stays "created" while its exec
  // fifo exists, and `start` removes it.
  bool started = false;
};

// Reads the container's state under `root`, in whichever layout is there:
// runc's <root>/<id>/state.json or crun's <root>/<id>/status.  Told apart by
// file, not by the configured runtime, so the containers of a node that
// moves from one runtime to the other stay alive in the ledger's eyes.
// nullopt when the container does not exist.
Expected<std::optional<RuncState>> read_runc_state(const std::filesystem::path& root, std::string_view id);
// Pure: the text of a runc state.json; `origin` names the file in messages.
Expected<RuncState> parse_runc_state(std::string_view json_text, std::string_view origin);
// Pure: the text of a crun status file (crun 1.8.1, src/libcrun/status.c).
Expected<RuncState> parse_crun_status(std::string_view json_text, std::string_view origin);

// /proc/<pid>/stat field 22 (start time in clock ticks); nullopt if the
// process is gone or a zombie.
std::optional<std::uint64_t> process_start_ticks(const std::filesystem::path& proc, int pid);

}  // namespace isolcpus
