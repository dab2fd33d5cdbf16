#include "ledger_view.hpp"

namespace isolcpus {

LedgerView view_ledger(NodeSession& node, std::vector<LedgerEntry> entries) {
  LedgerView view;
  view.entries = std::move(entries);
  for (auto& e : view.entries) {
    if (auto init = node.started_around_us(e)) {
      e.init_pid = init->pid;
    }
  }
  auto iso = node.isolator();
  if (!iso) {
    return view;
  }
  for (const auto& e : view.entries) {
    if (!e.isolation) {
      continue;
    }
    if (auto reason = (*iso)->kernel_problem(*e.isolation)) {
      view.undone.push_back(
          KernelUndid{e.container_id, e.state == EntryState::kIsolated, e.cpus, std::move(*reason)});
    }
  }
  return view;
}

std::string describe_undone(const KernelUndid& undone) {
  return "container " + undone.container_id + " is recorded isolated, but " + undone.reason;
}

}  // namespace isolcpus
