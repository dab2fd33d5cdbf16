// Restarting a runtime's service through systemd's D-Bus API (sd-bus), the
// way systemctl does it, without a shell.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "isolcpus/expected.hpp"

namespace isolcpus {

// Restarts `unit` and waits (up to `timeout`) for the job to finish; an
// error unless the unit is active afterwards.
Expected<void> restart_unit(const std::string& unit, std::chrono::seconds timeout);

// Whether `unit` is active and entered that state before `realtime_usec`
// (a file's mtime): it then runs with an older config than the file's.
Expected<bool> unit_started_before(const std::string& unit, std::int64_t realtime_usec);

}  // namespace isolcpus
