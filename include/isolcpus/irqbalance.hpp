// irqbalance rewrites every IRQ's smp_affinity about every 10 s over the
// CPUs it does not ban, so masks written around it last only until its next
// pass.  Its runtime socket (/run/irqbalance/irqbalance<PID>.sock, root
// only) takes a ban list that replaces its own ("settings cpus <list>",
// "settings cpus NULL" to go back to its configuration) without a restart:
// no restart storm, no StartLimitBurst, nothing written to /etc.  The
// setting lives in irqbalance's memory, so every reconcile sends it again.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "isolcpus/cpuset.hpp"

namespace isolcpus {

struct IrqBalanceReport {
  unsigned told = 0;                  // sockets that took the list
  std::vector<std::string> problems;  // sockets that did not, and why
};

// Sends `banned` (empty: "NULL") to every irqbalance socket under
// host_root.  Never blocks: a daemon that does not accept at once is a
// problem reported, not waited for (the caller holds the node lock).
IrqBalanceReport tell_irqbalance(const std::filesystem::path& host_root, const CpuSet& banned);

// The sockets found (for check and status), host paths.
std::vector<std::string> irqbalance_sockets(const std::filesystem::path& host_root);

}  // namespace isolcpus
