// check: gather the facts the preflight rules need (check_rules.cpp).
#include <sys/stat.h>

#include <ostream>

#include "check_rules.hpp"
#include "commands.hpp"
#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/locate_runtime.hpp"
#include "isolcpus/node_session.hpp"
#include "ledger_view.hpp"
#include "status_view.hpp"

namespace isolcpus {
namespace {

void gather_cgroups(CheckFacts& f) {
  auto tree = open_cgroup_tree(f.host.cpuset_mount);
  f.cpuset = probe_cpuset_facts(*tree, f.host.mode);
}

}  // namespace

int cmd_check(const ConfigLoad& loaded, bool json, std::ostream& out, std::ostream& /*err*/) {
  CheckFacts f;
  f.config_path = loaded.path.string();
  f.config_found = loaded.found;
  f.config_problems = loaded.problems;
  f.config = effective_config(loaded);

  if (auto host = probe_host(f.config.host_root)) {
    f.host = *host;
    if (f.host.mode != CgroupMode::kNone) {
      gather_cgroups(f);
    }
  } else {
    f.probe_error = host.error().message;
  }
  if (auto runtime = locate_runtime(f.config.runtime)) {
    f.runtime = *runtime;
  } else {
    f.runtime_error = runtime.error().message;
  }
  struct stat st {};
  if (::lstat(f.config.state_dir.c_str(), &st) == 0) {
    f.state_dir.exists = true;
    f.state_dir.is_dir = S_ISDIR(st.st_mode);
    f.state_dir.uid = st.st_uid;
    f.state_dir.mode = st.st_mode & 07777;
  }
  if (f.state_dir.exists && f.state_dir.is_dir) {
    if (auto data = read_ledger_snapshot(f.config.state_dir)) {
      Log log;  // check is read-only: nothing for the log
      NodeSession node(f.config, log);
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
    } else {
      f.ledger_error = data.error().message;
    }
  }
  const auto findings = evaluate_checks(f);
  out << (json ? render_findings_json(findings) : render_findings_text(findings));
  return blocks_isolation(findings) ? 1 : 0;
}

}  // namespace isolcpus
