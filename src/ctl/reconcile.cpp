// reconcile: give back what dead containers hold, finish or undo half-done work.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <ostream>
#include <string>

#include "commands.hpp"
#include "irqbalance_restart.hpp"
#include "isolcpus/dispatch.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/unique_fd.hpp"
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
  // After the lock is released: a file on /etc's disk, and a restart that
  // waits for systemd.
  for (const auto& note : keep_irqbalance(loaded.config, irqbalance_service())) {
    log.info(note);
    out << note << '\n';
  }
  // For metrics: a stamp on the ledger's tmpfs, outside the lock (a lost
  // stamp only shows an older time).
  const auto stamp = std::filesystem::path(loaded.config.state_dir) / kLastReconcileFile;
  const std::string now = std::to_string(unix_seconds_now()) + "\n";
  if (UniqueFd fd(::open(stamp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)); fd) {
    (void)!::write(fd.get(), now.data(), now.size());
  }
  out << "released " << report->released << ", undone " << report->undone << ", dropped " << report->dropped
      << ", settled " << report->settled << ", isolated again " << report->reisolated << '\n';
  return 0;
}

}  // namespace isolcpus
