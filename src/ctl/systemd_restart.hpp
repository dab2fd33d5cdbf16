// Restarting a runtime's service through systemd's D-Bus API (sd-bus), the
// way systemctl does it, without a shell.
#pragma once

#include <chrono>
#include <string>

#include "isolcpus/expected.hpp"

namespace isolcpus {

// Restarts `unit` and waits (up to `timeout`) for the job to finish; an
// error unless the unit is active afterwards.
Expected<void> restart_unit(const std::string& unit, std::chrono::seconds timeout);

}  // namespace isolcpus
