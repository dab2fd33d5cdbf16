#include <CLI/CLI.hpp>
#include <iostream>

#include "isolcpus/config.hpp"
#include "isolcpus/ctl.hpp"
#include "isolcpus/lifecycle.hpp"
#include "isolcpus/log.hpp"

namespace isolcpus {
namespace {

int cmd_reconcile(const ConfigLoad& loaded) {
  Log log(loaded.config, "reconcile");
  auto report = reconcile_node(loaded.config, log);
  if (!report) {
    std::cerr << "runc-isolcpus-ctl reconcile: " << report.error().message << '\n';
    return 1;
  }
  for (const auto& note : report->notes) {
    std::cout << note << '\n';
  }
  std::cout << "released " << report->released << ", undone " << report->undone << ", dropped " << report->dropped
            << '\n';
  return 0;
}

}  // namespace

int ctl_main(int argc, char** argv) {
  CLI::App app{"runc-isolcpus-ctl: manage runc-isolcpus on this node", std::string(kCtlName)};
  app.require_subcommand(1);
  std::string config_path = config_path_from_env().string();
  app.add_option("--config", config_path, "configuration file")->capture_default_str();
  auto* reconcile = app.add_subcommand("reconcile", "release CPUs held by containers that are gone");
  auto* version = app.add_subcommand("version", "print runc-isolcpus's version");
  CLI11_PARSE(app, argc, argv);

  const ConfigLoad loaded = load_config(config_path);
  for (const auto& problem : loaded.problems) {
    std::cerr << "config: " << problem << '\n';
  }
  if (version->parsed()) {
    std::cout << "runc-isolcpus " << ISOLCPUS_VERSION << '\n';
    return 0;
  }
  if (reconcile->parsed()) {
    if (!loaded.problems.empty()) {
      return 1;
    }
    return cmd_reconcile(loaded);
  }
  return 0;
}

}  // namespace isolcpus
