#include "isolcpus/caller_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "isolcpus/text.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

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
  line += quote_string(level);
  line += ",\"msg\":";
  line += quote_string(msg);
  line += ",\"time\":";
  line += quote_string(rfc3339(when));
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
    line += quote_string(msg);
    line += '\n';
  }
  // O_CLOEXEC: this fd must not leak into the runtime we exec next.
  // O_NONBLOCK: a FIFO nobody reads must not hold us (and the node lock);
  // the line is dropped instead.
  UniqueFd fd(::open(inv.log->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644));
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
