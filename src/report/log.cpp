#include "isolcpus/log.hpp"

// spdlog opens its file with O_CLOEXEC only under this (CMakeLists.txt):
// without it our log fd reaches runc, exec'd in place or as `update`'s child.
#ifndef SPDLOG_PREVENT_CHILD_FD
#error "SPDLOG_PREVENT_CHILD_FD must be defined for the log file not to leak into runc"
#endif

#include <spdlog/logger.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <unistd.h>

#include <filesystem>

#include "journal_sink.hpp"

namespace isolcpus {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      break;
  }
  return spdlog::level::off;
}

}  // namespace

LogLevel parse_log_level(std::string_view text) {
  if (text == "trace") return LogLevel::kTrace;
  if (text == "debug") return LogLevel::kDebug;
  if (text == "warn") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  if (text == "off") return LogLevel::kOff;
  return LogLevel::kInfo;
}

Log::Log(const Config& config, std::string context, std::string container_id)
    : path_(config.log_file),
      context_(std::move(context)),
      journal_socket_(config.log_to_journal
                          ? (std::filesystem::path(config.host_root) / "run/systemd/journal/socket").string()
                          : std::string()),
      threshold_(config.log_file.empty() && !config.log_to_journal ? LogLevel::kOff
                                                                   : parse_log_level(config.log_level)),
      max_bytes_(config.log_max_bytes),
      max_files_(config.log_max_files) {
  if (!container_id.empty()) {
    fields_->emplace_back("CONTAINER_ID", std::move(container_id));
  }
}

Log::Log(Log&&) noexcept = default;
Log& Log::operator=(Log&&) noexcept = default;
Log::~Log() {
  if (logger_) {
    logger_->flush();
  }
}

std::shared_ptr<spdlog::sinks::sink> Log::make_sink() const {
  if (journal_socket_.empty()) {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_st>(
        path_, static_cast<std::size_t>(max_bytes_), static_cast<std::size_t>(max_files_));
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l [%P] %v");
    return sink;
  }
  JournalFields fixed{{"SYSLOG_IDENTIFIER", "runc-isolcpus"}, {"SYSLOG_PID", std::to_string(::getpid())}};
  if (!context_.empty()) {
    fixed.emplace_back("RUNC_ISOLCPUS_CALL", context_);
  }
  auto sink = std::make_shared<JournalSink>(journal_socket_, std::move(fixed), fields_);
  sink->set_pattern("%v");  // the journal keeps time, level and pid itself
  return sink;
}

void Log::set_field(const std::string& key, std::string value) {
  for (auto& [k, v] : *fields_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  fields_->emplace_back(key, std::move(value));
}

void Log::write(LogLevel level, std::string_view msg) {
  if (level < threshold_ || threshold_ == LogLevel::kOff || failed_) {
    return;
  }
  if (!logger_) {
    try {
      // Not registered with spdlog's global registry: the logger is ours alone.
      logger_ = std::make_shared<spdlog::logger>("runc-isolcpus", make_sink());
      logger_->set_level(spdlog::level::trace);
      // spdlog's default error handler prints to stderr, which is not ours.
      logger_->set_error_handler([](const std::string&) {});
    } catch (const std::exception&) {
      failed_ = true;
      return;
    }
  }
  if (context_.empty()) {
    logger_->log(to_spdlog(level), "{}", msg);
  } else {
    logger_->log(to_spdlog(level), "{}: {}", context_, msg);
  }
}

}  // namespace isolcpus
