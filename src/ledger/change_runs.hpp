// A compact ledger record for many files changed alike: a node's IRQs are
// ~10^3 files that one container changes from the same original to the same
// mask, and a ledger of one record per file and per container reached
// megabytes (rewritten and fsynced on every save, parsed on every call).
// Consecutive changes of one knob that differ only in one decimal path
// component, in ascending order, become one record with that component as
// a range list ("1-15,24").  The expansion is exact, so a ledger round-trips.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/tuning.hpp"

namespace isolcpus {

struct ChangeRun {
  TuningChange first;  // as recorded; its file is the run's first
  std::string prefix;  // the file around the numbered component ("" when a single change)
  std::string suffix;
  std::vector<unsigned> numbers;  // ascending; empty for a single change
};

std::vector<ChangeRun> group_runs(const std::vector<TuningChange>& changes);

// "1-3,7"; `numbers` ascending.
std::string format_ranges(const std::vector<unsigned>& numbers);

// The inverse: strictly ascending, each below kMaxNumber, at most kMaxCount
// in all; a message naming the fault otherwise.
inline constexpr unsigned kMaxRunNumber = 1U << 24;
inline constexpr std::size_t kMaxRunCount = 1U << 20;
struct ParsedRanges {
  std::vector<unsigned> numbers;
  std::string error;  // "" when parsed
};
ParsedRanges parse_ranges(std::string_view text);

}  // namespace isolcpus
