// For a foreground `runc run`: a detached process that waits for this PID
// (runc, after our exec) to exit and then reconciles, so the CPUs come back
// as soon as the container is gone instead of at the next invocation.
#pragma once

#include "isolcpus/config.hpp"

namespace isolcpus {

// Best effort: returns false (and nothing else happens) when it cannot start.
bool spawn_exit_watcher(const Config& config);

}  // namespace isolcpus
