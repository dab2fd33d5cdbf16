#include "config_view.hpp"

#include <cstdio>

#include "isolcpus/text.hpp"

namespace isolcpus {

std::string toml_quote(std::string_view text) { return quote_string(text); }

namespace {

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::kAlways:
      return "always";
    case Mode::kNever:
      return "never";
    case Mode::kAnnotation:
      break;
  }
  return "annotation";
}

}  // namespace

std::string render_config_toml(const Config& c) {
  std::string out;
  auto line = [&out](std::string_view key, const std::string& value) {
    out += std::string(key) + " = " + value + "\n";
  };
  line("runtime", toml_quote(c.runtime));
  line("log_file", toml_quote(c.log_file));
  line("log_level", toml_quote(c.log_level));
  line("log_max_bytes", std::to_string(c.log_max_bytes));
  line("log_max_files", std::to_string(c.log_max_files));
  line("log_target", toml_quote(c.log_to_journal ? "journal" : "file"));
  line("mode", toml_quote(mode_name(c.mode)));
  line("on_failure", toml_quote(c.on_failure == OnFailure::kWarn ? "warn" : "fail"));
  std::string namespaces = "[";
  for (std::size_t i = 0; i < c.allowed_namespaces.size(); ++i) {
    namespaces += (i == 0 ? "" : ", ") + toml_quote(c.allowed_namespaces[i]);
  }
  line("allowed_namespaces", namespaces + "]");
  line("isolatable_cpus", toml_quote(c.isolatable_cpus ? c.isolatable_cpus->to_string() : ""));
  line("min_housekeeping_cpus", std::to_string(c.min_housekeeping_cpus));
  line("state_dir", toml_quote(c.state_dir));
  line("lock_timeout_ms", std::to_string(c.lock_timeout.count()));
  line("host_root", toml_quote(c.host_root));
  line("v1_manage_root_flag", c.v1_manage_root_flag ? "true" : "false");
  return out;
}

std::string render_config_report(const ConfigLoad& loaded, const Config& effective) {
  std::string out = "# runc-isolcpus effective configuration\n";
  if (!loaded.found) {
    out += "# source: none (no file at " + loaded.path.string() + "): built-in defaults\n";
  } else {
    out += "# source: " + loaded.path.string() + "\n";
  }
  if (!loaded.problems.empty()) {
    out += "# The file has problems, so its policy is NOT applied: the keys that say where things are\n";
    out += "# are kept when valid, everything else is a default, and mode is \"never\" (nothing new is\n";
    out += "# isolated; CPUs already isolated are still released).  Fix these:\n";
    for (const auto& p : loaded.problems) {
      out += "#   PROBLEM: " + p + "\n";
    }
  }
  out += render_config_toml(effective);
  return out;
}

}  // namespace isolcpus
