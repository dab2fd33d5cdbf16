// Test-only crash injection.  Built with ISOLCPUS_FAULT_INJECTION, the wrapper
// kills itself with SIGKILL at the isolator step named by $RUNC_ISOLCPUS_FAULT
// (e.g. "v2.partition"), so tests can prove that the next invocation
// completes or undoes a half-done isolation.  Release builds compile it out.
#pragma once

#include <functional>
#include <string_view>

namespace isolcpus {

std::function<void(std::string_view)> fault_checkpoint();

// Test-only full disk: with $RUNC_ISOLCPUS_FAIL_SAVE naming a ledger save
// ("an isolation", "the update's runc child", ... or "*"), that save and
// every later one fail as ENOSPC would.  Save steps are also checkpoints
// ("save:<what>", "saved:<what>") for RUNC_ISOLCPUS_FAULT.
std::function<bool(std::string_view)> fault_fail_save();

}  // namespace isolcpus
