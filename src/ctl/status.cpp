// status: gathers the ledger and the kernel's view (data only; the picture
// is drawn by status_view.cpp).
#include <map>
#include <ostream>

#include "commands.hpp"
#include "isolcpus/node_session.hpp"
#include "isolcpus/wall_clock.hpp"
#include "ledger_view.hpp"
#include "status_view.hpp"
#include "tuning_readings.hpp"

namespace isolcpus {

Expected<void> kernel_view(NodeSession& node, const Config& config, const LedgerView& view, StatusInput& in) {
  auto iso = node.isolator();
  auto tree = node.tree();
  if (!iso || !tree) {
    return make_error(iso ? tree.error().message : iso.error().message);
  }
  in.isolator = std::string((*iso)->name());
  IsolationContext ctx;
  ctx.online = in.online;
  ctx.boot_isolated = in.boot_isolated;
  ctx.min_housekeeping_cpus = config.min_housekeeping_cpus;
  ctx.v1_manage_root_flag = config.v1_manage_root_flag;
  for (const auto& e : in.entries) {
    if (e.isolation) {
      ctx.others.push_back(*e.isolation);
    }
  }
  in.kernel_isolated = (*iso)->kernel_isolated(ctx);
  in.culprits = (*iso)->culprits(ctx);
  // An isolation the kernel undid is a problem while the entry says isolated.
  for (const auto& undone : view.undone) {
    if (undone.recorded_isolated) {
      in.problems.push_back(describe_undone(undone));
    }
  }
  return {};
}

int cmd_status(const ConfigLoad& loaded, bool json, std::ostream& out, std::ostream& err) {
  const Config config = effective_config(loaded);
  Log log;  // status is read-only: nothing for the log
  NodeSession node(config, log);
  StatusInput in;
  in.state_dir = config.state_dir;
  in.cgroup_mode = "none";
  auto host = node.host();
  if (!host) {
    err << "runc-isolcpus-ctl status: cannot probe the host: " << host.error().message << '\n';
    return 1;
  }
  in.cgroup_mode = (*host)->mode == CgroupMode::kV2 ? "v2" : (*host)->mode == CgroupMode::kV1 ? "v1" : "none";
  in.kernel = (*host)->kernel.release;
  in.online = (*host)->online;
  in.boot_isolated = (*host)->boot_isolated;

  auto ledger = read_ledger_snapshot(config.state_dir);
  if (!ledger) {
    err << "runc-isolcpus-ctl status: cannot read the ledger: " << ledger.error().message << '\n';
    return 1;
  }
  const LedgerView view = view_ledger(node, ledger->entries);
  in.entries = view.entries;

  if (auto known = kernel_view(node, config, view, in); !known) {
    in.notes.push_back("the kernel's view is unknown: " + known.error().message);
  }
  auto readings = read_tunings(node, in.entries);
  in.tuning_reads = std::move(readings.reads);
  in.tuning_wants = std::move(readings.wants);
  in.tuning_drifted = std::move(readings.drifted);
  if (readings.error) {
    in.notes.push_back(*readings.error);
  }
  for (const auto& problem : loaded.problems) {
    in.notes.push_back("config: " + problem);
  }

  const StatusView picture = build_status(in);
  const auto now = unix_seconds_now();
  out << (json ? render_status_json(in, picture, now) : render_status_text(in, picture, now));
  return picture.problems == 0 ? 0 : 2;
}

}  // namespace isolcpus
