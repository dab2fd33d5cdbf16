#include "isolcpus/text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "isolcpus/unique_fd.hpp"
#include "isolcpus/utf8.hpp"

namespace isolcpus {

std::string_view trim_right(std::string_view s) {
  const auto last = s.find_last_not_of(" \t\r\n");
  return last == std::string_view::npos ? std::string_view{} : s.substr(0, last + 1);
}

std::string_view trim(std::string_view s) {
  s = trim_right(s);
  const auto first = s.find_first_not_of(" \t\r\n");
  return first == std::string_view::npos ? std::string_view{} : s.substr(first);
}

std::string quote_string(std::string_view text) {
  // JSON and TOML are UTF-8: bytes that are not become U+FFFD.
  const std::string s = utf8_for_display(text);
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          (void)std::snprintf(buf, sizeof buf, "\\u%04x",
                              static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

FileText read_file_text(const std::filesystem::path& path, bool no_follow) {
  FileText result;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | (no_follow ? O_NOFOLLOW : 0)));
  if (!fd) {
    result.error = errno;
    return result;
  }
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      result.error = errno;
      return result;
    }
    if (n == 0) {
      return result;
    }
    result.text.append(buf, static_cast<std::size_t>(n));
  }
}

Expected<std::string> read_regular_file(const std::filesystem::path& path, std::size_t limit, bool no_follow,
                                        std::string_view shown) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | (no_follow ? O_NOFOLLOW : 0)));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return make_error("cannot read " + std::string(shown) + ": " +
                      (fd ? "not a regular file" : std::string(std::strerror(errno))));
  }
  std::string text;
  char buf[4096];
  for (ssize_t n = 0; (n = ::read(fd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 || text.size() > limit) {
      return make_error(
          "cannot read " + std::string(shown) + ": " +
          (n < 0 ? std::string(std::strerror(errno)) : "larger than " + std::to_string(limit) + " bytes"));
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

std::optional<std::string> read_file_if_any(const std::filesystem::path& path) {
  FileText file = read_file_text(path);
  if (file.error != 0) {
    return std::nullopt;
  }
  return std::move(file.text);
}

}  // namespace isolcpus
