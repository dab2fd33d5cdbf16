// irqbalance rewrites every IRQ's smp_affinity about every 10 s over the
// CPUs it does not ban, so masks written around it last only until its next
// pass.  Its runtime socket (/run/irqbalance/irqbalance<PID>.sock, root
// only) takes a ban list that replaces its own ("settings cpus <list>",
// "settings cpus NULL" to go back to its configuration) without a restart:
// no restart storm, no StartLimitBurst, nothing written to /etc.  The
// setting lives in irqbalance's memory, so every reconcile sends it again.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "isolcpus/cpuset.hpp"
#include "isolcpus/expected.hpp"

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

// irqbalance's environment file (host path), nullopt when neither
// Debian's nor RHEL's is there.
std::optional<std::string> irqbalance_config_file(const std::filesystem::path& host_root);

// Keeps `banned` (with what irqbalance bans on its own) in our block of
// that file, or removes the block when `banned` is empty; with
// `only_if_kept`, only a file that already has the block is touched.  True
// when the file changed: the daemon learns it at its next start, which
// `ctl reconcile` brings about while `mark` (emptied before any change)
// exists.  A file on /etc's disk, fsynced: never under the node lock.
Expected<bool> keep_irqbalance_file(const std::filesystem::path& host_root, const CpuSet& banned,
                                    bool only_if_kept, const std::filesystem::path& mark);

// What the installed daemon reads, from the names in its binary (no child
// process: this runs under the node lock too).
struct IrqBalanceBinary {
  std::string path;              // "" when not installed
  bool reads_list = false;       // IRQBALANCE_BANNED_CPULIST (1.8+)
  bool reads_mask_only = false;  // IRQBALANCE_BANNED_CPUS alone (before 1.8)
};
IrqBalanceBinary irqbalance_binary(const std::filesystem::path& host_root);

// The mark's name in the state directory.
inline constexpr std::string_view kIrqBalanceFileMark = "irqbalance-file-changed";

}  // namespace isolcpus
