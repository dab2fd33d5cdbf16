// The wrapper's work around one runc call, per subcommand (src/lifecycle/).
#pragma once

#include <string>

#include "isolcpus/config.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/parse_invocation.hpp"
#include "isolcpus/seams.hpp"

namespace isolcpus {

struct Call {
  const RuncInvocation& inv;
  const Config& config;
  Log& log;
  std::string runtime;  // the real runtime's absolute path
  int argc = 0;
  char** argv = nullptr;
  const Seams* seams = nullptr;  // tests only
};

// What main does next.
struct Outcome {
  bool exec_runtime = true;  // exec the real runtime with the caller's argv
  int exit_code = 0;         // otherwise exit with this; -N: die of signal N, as the runtime child did
};

// True for the subcommands that may need host work (create, run, restore,
// start, delete, update with new resources).  Everything else is passed
// straight through without reading the config.
bool needs_host_work(const RuncInvocation& inv);

// Never throws; every failure ends in an Outcome (usually: exec runc anyway).
Outcome handle_call(Call& call);

// Releases what dead containers left isolated.  Returns the number released.
struct ReconcileReport {
  int released = 0;
  int undone = 0;      // half-done isolations and releases completed
  int dropped = 0;     // decisions whose container never appeared
  int settled = 0;     // interrupted updates settled on the set the container runs on
  int reisolated = 0;  // running containers that had lost their isolation
  std::vector<std::string> notes;
};
Expected<ReconcileReport> reconcile_node(const Config& config, Log& log, const Seams& seams = {});

}  // namespace isolcpus
