// HostFacts: what kind of node this is, probed from files under host_root.
#pragma once

#include <filesystem>
#include <string>

#include "isolcpus/cpuset.hpp"
#include "isolcpus/expected.hpp"

namespace isolcpus {

enum class CgroupMode { kNone, kV1, kV2 };

struct KernelVersion {
  unsigned major = 0;
  unsigned minor = 0;
  std::string release;  // full `uname -r` string
  friend auto operator<=>(const KernelVersion& a, const KernelVersion& b) {
    return a.major != b.major ? a.major <=> b.major : a.minor <=> b.minor;
  }
  friend bool operator==(const KernelVersion& a, const KernelVersion& b) {
    return a.major == b.major && a.minor == b.minor;
  }
};

Expected<KernelVersion> parse_kernel_release(std::string_view release);

struct HostFacts {
  CgroupMode mode = CgroupMode::kNone;
  std::filesystem::path cpuset_mount;  // absolute, host_root applied
  // The hierarchy with the cpu controller (CFS quota): the cpuset mount on
  // v2, the "cpu" hierarchy on v1; empty when there is none.
  std::filesystem::path cpu_mount;
  KernelVersion kernel;
  CpuSet online;         // /sys/devices/system/cpu/online
  CpuSet boot_isolated;  // /sys/devices/system/cpu/isolated (isolcpus=)
};

// Reads <host_root>/proc/self/mountinfo (falling back to the well-known
// /sys/fs/cgroup layouts when absent), <host_root>/proc/sys/kernel/osrelease
// and <host_root>/sys/devices/system/cpu/{online,isolated}.
Expected<HostFacts> probe_host(const std::filesystem::path& host_root);

// The kernel's nr_cpu_ids (highest possible CPU + 1), from
// <host_root>/sys/devices/system/cpu/possible: what "N" and "all" stand for
// in a CPU list written to a cpuset.
Expected<unsigned> possible_cpu_count(const std::filesystem::path& host_root);

}  // namespace isolcpus
