// runc-isolcpus-ctl: the operator's commands (one file each in src/ctl/).
#include "isolcpus/ctl_main.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.hpp"

namespace isolcpus {

namespace {

CLI::App* add_configure(CLI::App& app, const std::string& name, const std::string& what,
                        ConfigureArgs& args) {
  auto* sub = app.add_subcommand(name, what);
  sub->add_option("runtime", args.runtime, "the container runtime: containerd or crio")->required();
  sub->add_option("--runtime-config", args.file,
                  "the file to edit (default /etc/containerd/config.toml, or for crio the drop-in "
                  "/etc/crio/crio.conf.d/99-runc-isolcpus.conf)");
  sub->add_option("--handler", args.handler, "the runtime handler's name")->capture_default_str();
  sub->add_flag("--dry-run", args.dry_run, "print the change as a diff, write nothing");
  sub->add_flag("--restart", args.restart,
                "restart the runtime's service through systemd afterwards (also when it still runs an older "
                "config than the file's)");
  sub->add_option("--backup-dir", args.backup_dir, "where the previous version of the file is kept")
      ->capture_default_str();
  if (!args.undo) {
    sub->add_option("--wrapper", args.wrapper,
                    "the handler's binary (default: runc-isolcpus beside this tool)");
    sub->add_option("--config-version", args.config_version,
                    "containerd's config schema when the file does not say: 2 (1.x) or 3 (2.x); default "
                    "from `containerd --version`")
        ->check(CLI::IsMember({2, 3}));
  }
  return sub;
}

// The commands that read the node with its configuration loaded, kept out
// of ctl_main so that it stays short enough to read at a glance.
struct NodeCommands {
  CLI::App* status = nullptr;
  bool status_json = false;
  CLI::App* check = nullptr;
  bool check_json = false;
  CLI::App* reconcile = nullptr;
  CLI::App* metrics = nullptr;
  std::string metrics_output;
};

void add_node_commands(CLI::App& app, NodeCommands& c) {
  c.status = app.add_subcommand("status", "show every online CPU: balanced, or isolated by which container");
  c.status->add_flag("--json", c.status_json, "machine-readable output");
  c.check = app.add_subcommand("check", "preflight: can this node isolate CPUs? (exit 1 if not)");
  c.check->add_flag("--json", c.check_json, "machine-readable output");
  c.reconcile = app.add_subcommand("reconcile", "release CPUs held by containers that are gone");
  c.metrics = app.add_subcommand(
      "metrics",
      "print the node's isolation and tunings as Prometheus metrics (read-only, takes no lock; exit 1 if the "
      "host or the ledger cannot be read, or FILE written)");
  c.metrics
      ->add_option("--output", c.metrics_output,
                   "write them to FILE instead, replaced atomically (for node-exporter's textfile "
                   "collector: a *.prom file in its --collector.textfile.directory)")
      ->type_name("FILE");
}

int run_node_command(const NodeCommands& c, const ConfigLoad& loaded) {
  for (const auto& problem : loaded.problems) {
    if (!c.check->parsed()) {
      std::cerr << "config: " << problem << '\n';
    }
  }
  if (c.status->parsed()) {
    return cmd_status(loaded, c.status_json, std::cout, std::cerr);
  }
  if (c.check->parsed()) {
    return cmd_check(loaded, c.check_json, std::cout, std::cerr);
  }
  if (c.reconcile->parsed()) {
    return cmd_reconcile(loaded, std::cout, std::cerr);
  }
  if (c.metrics->parsed()) {
    return cmd_metrics(loaded, c.metrics_output, std::cout, std::cerr);
  }
  return 0;
}

}  // namespace

int ctl_main(int argc, char** argv) {
  CLI::App app{"runc-isolcpus-ctl: manage runc-isolcpus on this node", std::string(kCtlName)};
  app.require_subcommand(1);
  std::string config_path = config_path_from_env().string();
  app.add_option(
         "--config", config_path,
         "configuration file (default: $RUNC_ISOLCPUS_CONFIG or " + std::string(kDefaultConfigPath) + ")")
      ->capture_default_str();

  NodeCommands node;
  add_node_commands(app, node);
  auto* config = app.add_subcommand("config", "print the effective configuration as TOML");
  auto* version = app.add_subcommand("version", "print runc-isolcpus's version");
  std::string stage;
  auto* hook = app.add_subcommand("hook", "run as an OCI hook (OCI state on stdin)");
  hook->add_option("stage", stage, "createRuntime or prestart (isolate), poststop (release)")->required();
  ConfigureArgs configure_args;
  auto* configure = add_configure(app, "configure",
                                  "add the runc-isolcpus runtime handler to containerd's or CRI-O's config",
                                  configure_args);
  ConfigureArgs unconfigure_args;
  unconfigure_args.undo = true;
  auto* unconfigure =
      add_configure(app, "unconfigure", "take the handler configure added out again", unconfigure_args);
  CLI11_PARSE(app, argc, argv);
  if (configure->parsed() || unconfigure->parsed()) {
    return cmd_configure(configure->parsed() ? configure_args : unconfigure_args, std::cout, std::cerr);
  }

  if (version->parsed()) {
    return cmd_version(std::cout);
  }
  const ConfigLoad loaded = load_config(config_path);
  if (config->parsed()) {
    return cmd_config(loaded, std::cout, std::cerr);
  }
  if (hook->parsed()) {
    return cmd_hook(loaded, stage, std::cin, std::cerr);
  }
  return run_node_command(node, loaded);
}

}  // namespace isolcpus
