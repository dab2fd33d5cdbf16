// What every file a tuning changed reads now, against what its holders
// want: gathered once for status, check and metrics, so the three count
// drift alike.  A file "drifts" when it no longer gives its holders what
// they asked (the knob's own rule: an IRQ mask irqbalance moved within the
// allowed CPUs does not).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "isolcpus/ledger.hpp"
#include "isolcpus/node_session.hpp"

namespace isolcpus {

struct TuningReadings {
  std::map<std::string, std::string> reads;  // "(gone)" when the file went (its cgroup did)
  std::map<std::string, std::string> wants;
  std::set<std::string> drifted;
  std::optional<std::string> error;  // the files could not be read at all
};

// Reads only.
TuningReadings read_tunings(NodeSession& node, const std::vector<LedgerEntry>& entries);

}  // namespace isolcpus
