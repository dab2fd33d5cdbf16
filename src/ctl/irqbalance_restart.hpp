// irqbalance without a runtime socket: reconcile, outside the node lock
// (a file on /etc's disk, fsynced, and a restart that waits on systemd),
// keeps the ledger's ban list in irqbalance's environment file and
// restarts the daemon when it runs with an older list, spaced so that
// systemd's start limit is never reached.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "isolcpus/config.hpp"
#include "systemd_restart.hpp"

namespace isolcpus {

// Notes for reconcile's output: what was written, restarted, deferred or
// not possible, and why.  Nothing when no change of ours is pending.
// irqbalance.service as systemd shows it and restarts it; tests give their own.
struct IrqBalanceService {
  std::function<Expected<std::optional<ServiceFacts>>()> facts;
  std::function<Expected<void>()> restart;
};
IrqBalanceService irqbalance_service();  // through sd-bus

std::vector<std::string> keep_irqbalance(const Config& config, const IrqBalanceService& service);

}  // namespace isolcpus
