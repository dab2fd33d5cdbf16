// KernelFiles: the only door to the sysfs, procfs and cpu-cgroup files the
// tunings write.  Paths are the host's absolute paths; the door puts
// host_root in front, so tests point it at a fake tree.  It writes only
// under the prefixes it was opened with: a ledger (root-owned, but parsed
// like any input) naming another file gets an error, not a write.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/expected.hpp"

namespace isolcpus {

class KernelFiles {
 public:
  KernelFiles() = default;
  KernelFiles(const KernelFiles&) = delete;
  KernelFiles& operator=(const KernelFiles&) = delete;
  KernelFiles(KernelFiles&&) = delete;
  KernelFiles& operator=(KernelFiles&&) = delete;
  virtual ~KernelFiles() = default;

  // The content without its trailing newline and blanks.
  [[nodiscard]] virtual Expected<std::string> read(std::string_view file) const = 0;
  // One write(2); the kernel's errno becomes the message, naming the file.
  virtual Expected<void> write(std::string_view file, std::string_view value) = 0;
  // A whole new file (its directories made as needed), written atomically,
  // and its removal: for configuration a daemon reads (systemd drop-ins).
  virtual Expected<void> create(std::string_view file, std::string_view content) = 0;
  virtual Expected<void> remove(std::string_view file) = 0;
  [[nodiscard]] virtual bool exists(std::string_view file) const = 0;
  // Names in a directory (not "." or ".."), sorted; empty when unreadable.
  [[nodiscard]] virtual std::vector<std::string> list(std::string_view dir) const = 0;
  // Where a path leads once symlinks are followed, as a host path (sysfs
  // links cpuN/cpufreq to the policy shared by several CPUs).
  [[nodiscard]] virtual Expected<std::string> resolve(std::string_view path) const = 0;
};

// The host's files under `host_root`, writable under `writable` prefixes
// (host paths ending in '/').
std::unique_ptr<KernelFiles> open_kernel_files(std::filesystem::path host_root,
                                               std::vector<std::string> writable);

// A host path (absolute, no "." or ".." component, no NUL) under one of `prefixes`.
bool path_under(std::string_view path, const std::vector<std::string>& prefixes);

}  // namespace isolcpus
