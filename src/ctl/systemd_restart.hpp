// Restarting a runtime's service through systemd's D-Bus API (sd-bus), the
// way systemctl does it, without a shell.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "isolcpus/expected.hpp"

namespace isolcpus {

// Restarts `unit` and waits (up to `timeout`) for the job to finish; an
// error unless the unit is active afterwards.
Expected<void> restart_unit(const std::string& unit, std::chrono::seconds timeout);

// Whether `unit` is active and entered that state before `realtime_usec`
// (a file's mtime): it then runs with an older config than the file's.
Expected<bool> unit_started_before(const std::string& unit, std::int64_t realtime_usec);

// What a restart decision needs of a loaded service unit.
struct ServiceFacts {
  bool active = false;
  std::uint32_t main_pid = 0;
  std::uint64_t active_enter_usec = 0;           // CLOCK_MONOTONIC
  std::uint64_t active_enter_realtime_usec = 0;  // CLOCK_REALTIME, to compare with a file's mtime
  std::uint64_t start_limit_interval_usec = 0;
  std::uint32_t start_limit_burst = 0;
};

// nullopt when the unit is not loaded; only `active` (false) when it is not
// running.
Expected<std::optional<ServiceFacts>> service_facts(const std::string& unit);

// The decision of unit_started_before over what service_facts read.
bool started_before(const std::optional<ServiceFacts>& facts, std::int64_t realtime_usec);

}  // namespace isolcpus
