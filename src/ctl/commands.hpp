// The ctl commands, one file each (src/ctl/<command>.cpp).  Each returns the
// process exit status; output goes to the streams given.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "isolcpus/config.hpp"

namespace isolcpus {

// Under state_dir: when `reconcile` last completed (unix seconds), for metrics.
inline constexpr std::string_view kLastReconcileFile = "last-reconcile";

int cmd_status(const ConfigLoad& loaded, bool json, std::ostream& out, std::ostream& err);
int cmd_check(const ConfigLoad& loaded, bool json, std::ostream& out, std::ostream& err);
int cmd_reconcile(const ConfigLoad& loaded, std::ostream& out, std::ostream& err);
// `output` "" = stdout; else that file, replaced atomically.
int cmd_metrics(const ConfigLoad& loaded, const std::string& output, std::ostream& out, std::ostream& err);
int cmd_hook(const ConfigLoad& loaded, std::string_view stage, std::istream& in, std::ostream& err);
int cmd_config(const ConfigLoad& loaded, std::ostream& out, std::ostream& err);
int cmd_version(std::ostream& out);

struct ConfigureArgs {
  std::string runtime;  // "containerd"
  bool undo = false;    // unconfigure
  std::string file;     // the runtime's config ("" = its default)
  std::string handler = "isolcpus";
  std::string wrapper;  // the handler's binary ("" = beside this tool)
  bool dry_run = false;
  bool restart = false;
  int config_version = 0;                                 // 0 = from the file, else `containerd --version`
  std::string backup_dir = "/var/backups/runc-isolcpus";  // no runtime reads there
};
int cmd_configure(const ConfigureArgs& args, std::ostream& out, std::ostream& err);

}  // namespace isolcpus
