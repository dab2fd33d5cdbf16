// The second half of the irqbalance file fallback: the wrapper keeps the
// ban list in irqbalance's environment file under the node lock; reconcile,
// with the lock released, restarts the daemon when it runs with an older
// list, spaced so that systemd's start limit is never reached.
#pragma once

#include <string>
#include <vector>

#include "isolcpus/config.hpp"

namespace isolcpus {

// Notes for reconcile's output: what was restarted, deferred or not
// possible, and why.  Nothing when irqbalance has a socket (it was told
// there), or no change of ours is pending.
std::vector<std::string> restart_irqbalance_if_due(const Config& config);

}  // namespace isolcpus
