// reconcile: give back what dead containers hold, finish or undo half-done work.
#include <filesystem>
#include <fstream>
#include <ostream>

#include "commands.hpp"
#include "isolcpus/dispatch.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/wall_clock.hpp"

namespace isolcpus {

int cmd_reconcile(const ConfigLoad& loaded, std::ostream& out, std::ostream& err) {
  if (!loaded.problems.empty()) {
    err << "runc-isolcpus-ctl reconcile: not run: fix the configuration first (`runc-isolcpus-ctl config`)\n";
    return 1;
  }
  Log log(loaded.config, "reconcile");
  auto report = reconcile_node(loaded.config, log);
  if (!report) {
    err << "runc-isolcpus-ctl reconcile: " << report.error().message << '\n';
    return 1;
  }
  for (const auto& note : report->notes) {
    out << note << '\n';
  }
  // For metrics: a stamp on the ledger's tmpfs, outside the lock (a lost
  // stamp only shows an older time).
  std::ofstream(std::filesystem::path(loaded.config.state_dir) / kLastReconcileFile, std::ios::trunc)
      << unix_seconds_now() << '\n';
  out << "released " << report->released << ", undone " << report->undone << ", dropped " << report->dropped
      << ", settled " << report->settled << ", isolated again " << report->reisolated << '\n';
  return 0;
}

}  // namespace isolcpus
