// Replacing a file so that a crash leaves the old one or the new one, never
// a mix: the ledger and the runtimes' config files (`configure`) both go
// through here.
#pragma once

#include <filesystem>
#include <string_view>

#include "isolcpus/expected.hpp"

namespace isolcpus {

// Writes `text` to `temp` (already open as `fd`, which the caller created
// its own way), fsyncs it, renames it over `target` and fsyncs the
// target's directory.  `dir_sync_required`: whether a failed directory
// fsync is an error (the rename itself has happened either way).
Expected<void> replace_with_temp(int fd, const std::filesystem::path& temp,
                                 const std::filesystem::path& target, std::string_view text,
                                 bool dir_sync_required);

}  // namespace isolcpus
