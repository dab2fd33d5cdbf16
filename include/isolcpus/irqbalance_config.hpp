// irqbalance without a runtime socket (before 1.8, or built without it)
// learns its ban list only from its environment file at start:
// IRQBALANCE_BANNED_CPULIST (1.8+; the older IRQBALANCE_BANNED_CPUS mask is
// ignored since).  We keep our list in one marked block at the end of that
// file (systemd's EnvironmentFile takes the last assignment) and restart
// the daemon, outside the node lock and spaced so that systemd's start
// limit is never reached.  Pure functions over the file's text and the
// unit's facts; src/kernel/irqbalance.cpp and src/ctl do the I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/cpuset.hpp"

namespace isolcpus {

inline constexpr std::string_view kIrqBalanceListVar = "IRQBALANCE_BANNED_CPULIST";
// What irqbalance before 1.8 reads instead: a hex mask.
inline constexpr std::string_view kIrqBalanceMaskVar = "IRQBALANCE_BANNED_CPUS";

// The value the last `name=value` line gives, the way systemd's
// EnvironmentFile reads it (blanks around, one pair of quotes); nullopt
// when no line assigns it.
std::optional<std::string> env_file_value(std::string_view text, std::string_view name);

// Whether our block is in the text.
bool has_ban_block(std::string_view text);

// "" when our markers are whole (none, or one BEGIN and its END); else what
// is wrong, and the text must not be edited (a lone BEGIN followed later by
// a new block's END would take the operator's lines between them along).
std::string ban_block_problem(std::string_view text);

// `text` with our block replaced by one banning `cpus`, or removed when
// `cpus` is empty: the bytes outside the block are kept exactly (but a
// missing final newline, added before the block, stays added).  `mask`:
// the same CPUs as a hex mask, for an irqbalance before 1.8 (1.8+ warns
// about the old variable and discards it, so it is written only for those).
std::string with_ban_block(std::string_view text, const CpuSet& cpus, std::string_view mask = {});

// The CPUs irqbalance bans on its own with this file, our block aside: the
// operator's list when the file sets one, else the CPUs isolated at boot
// and the nohz_full ones (irqbalance's default; a list of its own replaces
// it, so ours must carry it).  `mask_only`: a daemon before 1.8, which
// reads the operator's mask variable instead.
CpuSet own_ban_list(std::string_view text, const CpuSet& isolated, const CpuSet& nohz_full,
                    bool mask_only = false);

// A start limit counted over longer than this is not worked around.
inline constexpr std::uint64_t kLongestStartLimitUsec = 24ULL * 3600 * 1000 * 1000;

// The running daemon, as systemd and /proc show it.
struct IrqBalanceUnit {
  bool active = false;
  std::optional<std::string> running_list;  // its environment's list
  std::int64_t started_usec = 0;            // ActiveEnterTimestampMonotonic (CLOCK_MONOTONIC)
  std::uint64_t start_limit_interval_usec = 0;
  unsigned start_limit_burst = 0;
};

struct RestartDecision {
  bool restart = false;
  std::int64_t not_before_usec = 0;  // when `due` but spaced: the earliest time
  std::string why;                   // for the log and reconcile's output
};

// Restart when the daemon runs with a list other than the file's, and at
// least restart_spacing() after its last start, and never when its start
// limit is counted over more than a day (infinity).  `file_list`: the
// file's value now (nullopt: unset); `now_usec` monotonic.
RestartDecision decide_irqbalance_restart(const IrqBalanceUnit& unit,
                                          const std::optional<std::string>& file_list, std::int64_t now_usec);

// Restarts spaced by more than interval / (burst - 1) put at most burst - 1
// starts in any window systemd counts, leaving one for the daemon's own
// (Restart=) ones; never closer than a minute.
std::chrono::microseconds restart_spacing(std::uint64_t interval_usec, unsigned burst);

}  // namespace isolcpus
