// check: gather the facts the preflight rules need (check_rules.cpp).
#include <sys/stat.h>

#include <map>
#include <ostream>

#include "check_rules.hpp"
#include "commands.hpp"
#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/irqbalance.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/locate_runtime.hpp"
#include "isolcpus/node_session.hpp"
#include "ledger_view.hpp"
#include "status_view.hpp"
#include "tuning_readings.hpp"

namespace isolcpus {
namespace {

void gather_cgroups(CheckFacts& f) {
  auto tree = open_cgroup_tree(f.host.cpuset_mount);
  f.cpuset = probe_cpuset_facts(*tree, f.host.mode);
}

// What each knob the config honours lacks on this node, on every online CPU.
void gather_knobs(NodeSession& node, CheckFacts& f) {
  auto tuner = node.tuner();
  if (!tuner) {
    f.tuner_error = tuner.error().message;
    return;
  }
  // Only the knobs config.knobs names: the config accepts no knob the Tuner
  // lacks a driver for, and Tuner::unavailable() has no answer for one.
  for (const Knob knob : f.config.knobs) {
    f.knobs.push_back({knob, (*tuner)->unavailable(knob, f.host.online)});
  }
}

void gather_irqbalance(CheckFacts& f) {
  const auto binary = irqbalance_binary(f.config.host_root);
  f.irqbalance.binary = binary.path;
  f.irqbalance.reads_list = binary.reads_list;
  f.irqbalance.reads_mask_only = binary.reads_mask_only;
  f.irqbalance.sockets = irqbalance_sockets(f.config.host_root);
  f.irqbalance.config_file = irqbalance_config_file(f.config.host_root);
}

// Drift, read as status reads it: every file a tuning changed, against what
// all its holders together want.
void gather_drift(NodeSession& node, const std::vector<LedgerEntry>& entries, CheckFacts& f) {
  // An unreadable tuner is reported by the tunings' lines.
  for (auto& drift : tuning_drift(entries, read_tunings(node, entries))) {
    f.ledger_problems.push_back(std::move(drift));
  }
}

void gather_ledger(NodeSession& node, CheckFacts& f) {
  struct stat st {};
  if (::lstat(f.config.state_dir.c_str(), &st) == 0) {
    f.state_dir.exists = true;
    f.state_dir.is_dir = S_ISDIR(st.st_mode);
    f.state_dir.uid = st.st_uid;
    f.state_dir.mode = st.st_mode & 07777;
  }
  if (!f.state_dir.exists || !f.state_dir.is_dir) {
    return;
  }
  auto data = read_ledger_snapshot(f.config.state_dir);
  if (!data) {
    f.ledger_error = data.error().message;
    return;
  }
  const LedgerView view = view_ledger(node, data->entries);
  for (const auto& e : view.entries) {
    if (auto problem = entry_problem(e)) {
      f.ledger_problems.push_back(*problem);
    }
  }
  for (const auto& undone : view.undone) {
    if (undone.recorded_isolated) {
      f.ledger_problems.push_back(describe_undone(undone));
    }
  }
  if (!f.probe_error) {
    gather_drift(node, view.entries, f);
  }
}

}  // namespace

int cmd_check(const ConfigLoad& loaded, bool json, std::ostream& out, std::ostream& /*err*/) {
  CheckFacts f;
  f.config_path = loaded.path.string();
  f.config_found = loaded.found;
  f.config_problems = loaded.problems;
  f.config = effective_config(loaded);
  Log log;  // check is read-only: nothing for the log
  NodeSession node(f.config, log);

  if (auto host = probe_host(f.config.host_root)) {
    f.host = *host;
    if (f.host.mode != CgroupMode::kNone) {
      gather_cgroups(f);
    }
    gather_knobs(node, f);
    gather_irqbalance(f);
  } else {
    f.probe_error = host.error().message;
  }
  if (auto runtime = locate_runtime(f.config.runtime)) {
    f.runtime = *runtime;
  } else {
    f.runtime_error = runtime.error().message;
  }
  gather_ledger(node, f);
  const auto findings = evaluate_checks(f);
  out << (json ? render_findings_json(findings) : render_findings_text(findings));
  // 1 only for an error (blocks_isolation): warnings, such as a knob this
  // node cannot honour, leave the answer "this node can isolate CPUs".
  return blocks_isolation(findings) ? 1 : 0;
}

}  // namespace isolcpus
