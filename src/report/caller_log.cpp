#include "isolcpus/caller_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

// JSON string escaping for the few characters a message can carry.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
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
        if (static_cast<unsigned char>(c) < 0x20) {
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
}

std::string rfc3339(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  (void)std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n <= 0) {
      return;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string runc_json_log_line(std::string_view level, std::string_view msg,
                               std::chrono::system_clock::time_point when) {
  std::string line = "{\"level\":";
  append_json_string(line, level);
  line += ",\"msg\":";
  append_json_string(line, msg);
  line += ",\"time\":";
  append_json_string(line, rfc3339(when));
  line += "}\n";
  return line;
}

void append_caller_log(const RuncInvocation& inv, std::string_view level, std::string_view msg) {
  if (!inv.log || inv.log->empty()) {
    return;
  }
  const auto now = std::chrono::system_clock::now();
  std::string line;
  if (inv.log_format == "json") {
    line = runc_json_log_line(level, msg, now);
  } else {
    // logrus' text formatter, as runc writes it without --log-format json.
    line = "time=\"" + rfc3339(now) + "\" level=" + std::string(level) + " msg=";
    append_json_string(line, msg);
    line += '\n';
  }
  // O_CLOEXEC: this fd must not leak into the runtime we exec next.
  UniqueFd fd(::open(inv.log->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (fd) {
    write_all(fd.get(), line);
  }
}

void report_caller_error(const RuncInvocation& inv, std::string_view msg) {
  std::string line = "runc-isolcpus: ";
  line += msg;
  line += '\n';
  write_all(STDERR_FILENO, line);
  append_caller_log(inv, "error", msg);
}

}  // namespace isolcpus
