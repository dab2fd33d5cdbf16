// A runtime's config file as `configure` reads and replaces it: under a lock
// on its directory, through a temporary file one directory up (a runtime
// reads every file of a drop-in directory, and an import glob may match any
// name beside the target), renamed into place and synced, with the previous
// version kept under a backup directory no runtime reads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

#include "isolcpus/expected.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {

struct ConfigFile {
  std::string text;
  bool exists = false;
  mode_t mode = 0644;
  std::int64_t mtime_usec = 0;  // CLOCK_REALTIME, as systemd's timestamps
};

Expected<ConfigFile> read_config_file(const std::filesystem::path& path);

// An exclusive flock(2) on a directory while it is held: two configure runs
// (an operator's and the installer's) never interleave their writes.
class DirLock {
 public:
  static Expected<DirLock> take(const std::filesystem::path& dir);
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  DirLock(UniqueFd fd, std::filesystem::path dir) : fd_(std::move(fd)), dir_(std::move(dir)) {}
  UniqueFd fd_;
  std::filesystem::path dir_;
};

// Where the previous version of `target` is kept: its path under `backup_dir`.
std::filesystem::path backup_path(const std::filesystem::path& backup_dir,
                                  const std::filesystem::path& target);

// Keeps `before` under `backup_dir` (when the file existed), then puts
// `after` in place atomically; "" removes the file instead.
Expected<void> replace_config_file(const std::filesystem::path& target, const ConfigFile& before,
                                   std::string_view after, bool remove_when_empty,
                                   const std::filesystem::path& backup_dir, std::ostream& out);

}  // namespace isolcpus
