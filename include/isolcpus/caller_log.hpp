// Reporting to whoever called us, the way runc does: one line on stderr, and
// when the caller passed `--log FILE --log-format json`, a runc-style JSON
// line appended to FILE (containerd surfaces the last "error" line of that
// file as the CRI error, which the kubelet puts into the pod's events).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "isolcpus/parse_invocation.hpp"

namespace isolcpus {

// Pure: {"level":"error","msg":"...","time":"2026-11-22T05:04:40Z"}
std::string runc_json_log_line(std::string_view level, std::string_view msg,
                               std::chrono::system_clock::time_point when);

// Appends a JSON line to the caller's --log file when --log-format is json
// (text format: a logrus-style text line).  Best effort: never fails loudly.
void append_caller_log(const RuncInvocation& inv, std::string_view level, std::string_view msg);

// A failure the caller must see: stderr line "runc-isolcpus: <msg>" plus the
// caller's log at level "error".
void report_caller_error(const RuncInvocation& inv, std::string_view msg);

}  // namespace isolcpus
