// A detached process that waits for this PID (runc, after our exec) to exit
// and then reconciles: for a foreground `runc run`, so the CPUs come back as
// soon as the container is gone; after a v1 `runc create`, so the cpuset
// runc made gets its flag cleared at once.
#pragma once

#include "isolcpus/config.hpp"
#include "isolcpus/seams.hpp"

namespace isolcpus {

// Best effort: returns false (and nothing else happens) when it cannot start.
bool spawn_exit_watcher(const Config& config);

// The door every call site uses: the seam when a test set one.
void watch_runtime_exit(const Config& config, const Seams& seams);

}  // namespace isolcpus
