// The node's CPU guardrails: CPUs a container may be isolated on must be
// online, held by nobody else, not isolated at boot, and leave enough
// housekeeping CPUs.  The policy checks them when it decides and each
// isolator again at plan (against what the kernel and the ledger say then),
// so the rule and its wording live here once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "isolcpus/cpuset.hpp"

namespace isolcpus {

// CPUs someone else already holds, and who, for the message.
struct CpuHolder {
  CpuSet cpus;
  std::string who;  // e.g. "the container in cgroup /kubepods/pod1/c1"
};

struct CpuGuardrails {
  CpuSet online;
  CpuSet boot_isolated;
  std::vector<CpuHolder> holders;  // checked in order: the first overlap is named
  unsigned min_housekeeping_cpus = 2;
};

// Pure.  Why isolating `cpus` breaks a guardrail, or nullopt when none does.
std::optional<std::string> guardrail_violation(const CpuSet& cpus, const CpuGuardrails& guard);

}  // namespace isolcpus
