// Log: our own diagnostic log (config `log_file`, size-bounded by rotation,
// or the systemd journal with `log_target = "journal"`).
// The file is opened on first use, so a call that logs nothing pays nothing;
// a log that cannot be opened is dropped silently: stdout and stderr belong
// to our caller and the container, never to us.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "isolcpus/config.hpp"

namespace spdlog {
class logger;
namespace sinks {
class sink;
}
}  // namespace spdlog

namespace isolcpus {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Journal fields beside MESSAGE (KEY, value); the file log has no use for them.
using LogFields = std::vector<std::pair<std::string, std::string>>;
LogLevel parse_log_level(std::string_view text);  // unknown -> kInfo

class Log {
 public:
  Log() = default;  // a log that drops everything
  // `container_id` is a field of its own in the journal (log_target).
  explicit Log(const Config& config, std::string context = {}, std::string container_id = {});
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  Log(Log&&) noexcept;
  Log& operator=(Log&&) noexcept;
  ~Log();

  void debug(std::string_view msg) { write(LogLevel::kDebug, msg); }
  void info(std::string_view msg) { write(LogLevel::kInfo, msg); }
  void warn(std::string_view msg) { write(LogLevel::kWarn, msg); }
  void error(std::string_view msg) { write(LogLevel::kError, msg); }
  void write(LogLevel level, std::string_view msg);
  // A field for every later line in the journal, e.g. POD once the spec
  // has named it (KEY: upper case letters, digits and '_').
  void set_field(const std::string& key, std::string value);

 private:
  [[nodiscard]] std::shared_ptr<spdlog::sinks::sink> make_sink() const;

  std::string path_;
  std::string context_;         // e.g. "create 3f2a..": prefixes every line
  std::string journal_socket_;  // "" = the file at path_
  std::shared_ptr<LogFields> fields_ = std::make_shared<LogFields>();
  LogLevel threshold_ = LogLevel::kOff;
  std::uint64_t max_bytes_ = 0;
  unsigned max_files_ = 0;
  bool failed_ = false;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace isolcpus
