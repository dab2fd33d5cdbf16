#include "isolcpus/cpu_guardrails.hpp"

namespace isolcpus {
namespace {

std::string show(const CpuSet& cpus) { return cpus.empty() ? "none" : cpus.to_string(); }

}  // namespace

std::optional<std::string> guardrail_violation(const CpuSet& cpus, const CpuGuardrails& guard) {
  if (const CpuSet offline = cpus - guard.online; !offline.empty()) {
    return "CPUs " + offline.to_string() + " are not online (online: " + show(guard.online) + ")";
  }
  CpuSet held;
  for (const auto& holder : guard.holders) {
    held |= holder.cpus;
  }
  for (const auto& holder : guard.holders) {
    if (const CpuSet taken = holder.cpus & cpus; !taken.empty()) {
      return "CPUs " + taken.to_string() + " are already isolated (by " + holder.who +
             "; isolated now: " + show(held | guard.boot_isolated) + ")";
    }
  }
  if (const CpuSet at_boot = guard.boot_isolated & cpus; !at_boot.empty()) {
    return "CPUs " + at_boot.to_string() +
           " are isolated at boot (isolcpus=): pin the container to other CPUs or drop them from isolcpus=";
  }
  const CpuSet housekeeping = guard.online - cpus - held - guard.boot_isolated;
  if (housekeeping.count() < guard.min_housekeeping_cpus) {
    return "isolating CPUs " + cpus.to_string() + " would leave " + std::to_string(housekeeping.count()) +
           " housekeeping CPUs (" + show(housekeeping) +
           "), fewer than min_housekeeping_cpus = " + std::to_string(guard.min_housekeeping_cpus);
  }
  return std::nullopt;
}

}  // namespace isolcpus
