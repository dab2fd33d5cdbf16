// A detached process that waits for this PID (runc, after our exec) to exit
// and then reconciles: for a foreground `runc run`, so the CPUs come back as
// soon as the container is gone; after a v1 `runc create`, so the cpuset
// runc made gets its flag cleared at once.
#pragma once

#include "isolcpus/lifecycle.hpp"

namespace isolcpus {

// Best effort: returns false (and nothing else happens) when it cannot start.
// The call's Seams::exit_watcher, when a test set one, stands in for it.
bool spawn_exit_watcher(const Call& call);

}  // namespace isolcpus
