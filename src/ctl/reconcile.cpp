// reconcile: give back what dead containers hold, finish or undo half-done work.
#include <ostream>

#include "commands.hpp"
#include "isolcpus/dispatch.hpp"
#include "isolcpus/log.hpp"

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
  out << "released " << report->released << ", undone " << report->undone << ", dropped " << report->dropped
      << ", settled " << report->settled << ", isolated again " << report->reisolated << '\n';
  return 0;
}

}  // namespace isolcpus
