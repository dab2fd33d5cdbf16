// Log: our own diagnostic log (config `log_file`, size-bounded by rotation).
// The file is opened on first use, so a call that logs nothing pays nothing;
// a log that cannot be opened is dropped silently: stdout and stderr belong
// to our caller and the container, never to us.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "isolcpus/config.hpp"

namespace spdlog {
class logger;
}

namespace isolcpus {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };
LogLevel parse_log_level(std::string_view text);  // unknown -> kInfo

class Log {
 public:
  Log() = default;  // a log that drops everything
  explicit Log(const Config& config, std::string context = {});
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

 private:
  std::string path_;
  std::string context_;  // e.g. "create 3f2a..": prefixes every line
  LogLevel threshold_ = LogLevel::kOff;
  std::uint64_t max_bytes_ = 0;
  unsigned max_files_ = 0;
  bool failed_ = false;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace isolcpus
