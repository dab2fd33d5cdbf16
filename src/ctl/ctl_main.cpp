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

}  // namespace

int ctl_main(int argc, char** argv) {
  CLI::App app{"runc-isolcpus-ctl: manage runc-isolcpus on this node", std::string(kCtlName)};
  app.require_subcommand(1);
  std::string config_path = config_path_from_env().string();
  app.add_option(
         "--config", config_path,
         "configuration file (default: $RUNC_ISOLCPUS_CONFIG or " + std::string(kDefaultConfigPath) + ")")
      ->capture_default_str();

  bool status_json = false;
  auto* status =
      app.add_subcommand("status", "show every online CPU: balanced, or isolated by which container");
  status->add_flag("--json", status_json, "machine-readable output");
  bool check_json = false;
  auto* check = app.add_subcommand("check", "preflight: can this node isolate CPUs? (exit 1 if not)");
  check->add_flag("--json", check_json, "machine-readable output");
  auto* reconcile = app.add_subcommand("reconcile", "release CPUs held by containers that are gone");
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
  for (const auto& problem : loaded.problems) {
    if (!check->parsed()) {
      std::cerr << "config: " << problem << '\n';
    }
  }
  if (status->parsed()) {
    return cmd_status(loaded, status_json, std::cout, std::cerr);
  }
  if (check->parsed()) {
    return cmd_check(loaded, check_json, std::cout, std::cerr);
  }
  if (reconcile->parsed()) {
    return cmd_reconcile(loaded, std::cout, std::cerr);
  }
  return 0;
}

}  // namespace isolcpus
