// The ledger as an operator should see it, shared by status and check: an
// entry whose container was started around the wrapper carries the init runc
// reports (so it shows as running unisolated), and each isolation the kernel
// has since undone is named with the file that says so.
#pragma once

#include <string>
#include <vector>

#include "isolcpus/ledger.hpp"
#include "isolcpus/node_session.hpp"

namespace isolcpus {

struct KernelUndid {
  std::string container_id;
  bool recorded_isolated = false;  // the entry says isolated
  CpuSet cpus;
  std::string reason;  // names the file
};

struct LedgerView {
  std::vector<LedgerEntry> entries;
  std::vector<KernelUndid> undone;
};

// Reads the kernel only through node's isolator; no writes.
LedgerView view_ledger(NodeSession& node, std::vector<LedgerEntry> entries);

struct StatusInput;
// status' view of the kernel (isolator, kernel_isolated, culprits, undone
// isolations as problems), shared with metrics so both count alike.
Expected<void> kernel_view(NodeSession& node, const Config& config, const LedgerView& view, StatusInput& in);

// "container X is recorded isolated, but <reason>" for an isolated entry.
std::string describe_undone(const KernelUndid& undone);

}  // namespace isolcpus
