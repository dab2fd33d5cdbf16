// Small text helpers shared by every layer that reads kernel files or
// writes JSON/TOML for people and tools.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/expected.hpp"

namespace isolcpus {

// Without the trailing newline and blanks kernel files end with.
std::string_view trim_right(std::string_view s);
// Without blanks at either end (kernel files, /proc lines, config words).
std::string_view trim(std::string_view s);

// A double-quoted string in the escaping JSON and TOML basic strings share
// (\" \\ \n \t \r, other control characters as \u00XX); bytes that are
// not UTF-8 become U+FFFD, as both formats require UTF-8.
std::string quote_string(std::string_view s);

// A whole file, read with O_CLOEXEC (our fds must never leak into the
// runtime we exec).  `error` is the errno of the failure, 0 on success.
struct FileText {
  std::string text;
  int error = 0;
};
FileText read_file_text(const std::filesystem::path& path, bool no_follow = false);

// A regular file read where waiting is not allowed (under the node lock):
// a FIFO or device planted there is refused at once (O_NONBLOCK, then
// S_ISREG), as is a file that runs past `limit` bytes (sysfs files report
// no true size, so the bytes read are counted).  Errors name `shown`.
Expected<std::string> read_regular_file(const std::filesystem::path& path, std::size_t limit, bool no_follow,
                                        std::string_view shown);

// The content, or nullopt when the file cannot be read (for /proc and /sys
// files whose absence is itself the answer).
std::optional<std::string> read_file_if_any(const std::filesystem::path& path);

}  // namespace isolcpus
