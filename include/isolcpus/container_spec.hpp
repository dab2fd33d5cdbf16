// ContainerSpec: the few things of an OCI config.json this project cares about.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/cpuset.hpp"
#include "isolcpus/expected.hpp"

namespace isolcpus {

struct ContainerSpec {
  std::optional<CpuSet> cpus;  // linux.resources.cpu.cpus (absent or "" = none)
  std::optional<CpuSet> mems;  // linux.resources.cpu.mems
  std::optional<std::uint64_t> shares;
  std::optional<std::int64_t> quota;
  std::optional<std::uint64_t> period;
  std::string cgroups_path;  // linux.cgroupsPath, as written
  std::map<std::string, std::string> annotations;
};

// The longest annotation value read.  Kubernetes allows 256 KiB for all of a
// pod's annotations together; a longer value is not from a pod, and every
// value the policy reads ends up in log lines, the caller's log and the
// ledger.
inline constexpr std::size_t kMaxAnnotationBytes = std::size_t{64} << 10;

// Pure: parse config.json text.  `origin` names the file in error messages.
Expected<ContainerSpec> parse_container_spec(std::string_view json_text, std::string_view origin);

// Shell: read <bundle>/config.json: a regular file of at most kMaxSpecBytes,
// opened without blocking (a FIFO is refused, not waited on).
inline constexpr std::size_t kMaxSpecBytes = std::size_t{16} << 20;
Expected<ContainerSpec> read_container_spec(const std::filesystem::path& bundle);

// `runc update` documents: include/isolcpus/update_resources.hpp.

}  // namespace isolcpus
