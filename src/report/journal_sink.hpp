// The systemd journal as a log target, over the journal's native datagram
// protocol (systemd.journal-fields(7), "native protocol"): structured fields
// without libsystemd, which a static binary cannot link.  Sending never
// blocks and never fails the call: a journal that is absent or full loses
// the line.
#pragma once

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "isolcpus/log.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {

using JournalFields = LogFields;

// One datagram: "KEY=value\n" per field, or for a value with a newline
// "KEY\n" + its length as 64-bit little endian + the value + "\n".
std::string journal_datagram(const JournalFields& fields);

// syslog(3)'s priority for an spdlog level (journald's PRIORITY field).
int journal_priority(spdlog::level::level_enum level);

class JournalSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  // `fixed` fields go with every line (identifier, call, container id), and
  // `later` ones as the Log learns them (the pod).
  JournalSink(std::string socket_path, JournalFields fixed, std::shared_ptr<const JournalFields> later);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::string socket_path_;
  JournalFields fixed_;
  std::shared_ptr<const JournalFields> later_;
  UniqueFd fd_;
};

}  // namespace isolcpus
