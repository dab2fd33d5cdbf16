// Seconds since the epoch, the unit of every timestamp the ledger keeps
// (decided_at, isolated_at) and status shows ages from.
#pragma once

#include <cstdint>

namespace isolcpus {

std::int64_t unix_seconds_now();

}  // namespace isolcpus
