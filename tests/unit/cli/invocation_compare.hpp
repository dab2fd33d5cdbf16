// Field-by-field comparison of RuncInvocation with a readable diff, shared by
// the cli tests.
#pragma once

#include <optional>
#include <sstream>
#include <string>

#include "isolcpus/parse_invocation.hpp"

namespace isolcpus::testing {

inline std::string show(const std::optional<std::string>& v) { return v ? "\"" + *v + "\"" : "nullopt"; }
inline std::string show(const std::optional<unsigned>& v) { return v ? std::to_string(*v) : "nullopt"; }
inline std::string show(const std::string& v) { return "\"" + v + "\""; }
inline std::string show(bool v) { return v ? "true" : "false"; }
inline std::string show(Subcommand v) { return std::string(to_string(v)); }

// Every field of `want` against `got`; "" when they match.  `want.uncertainty`
// is a fragment that must appear in `got.uncertainty` (the full sentences are
// for operators and may be reworded); an empty one means `got` must have none.
inline std::string diff(const RuncInvocation& want, const RuncInvocation& got) {
  std::ostringstream out;
  auto field = [&out](const char* name, const auto& w, const auto& g) {
    if (!(w == g)) out << "  " << name << ": want " << show(w) << ", got " << show(g) << "\n";
  };
  field("certain", want.certain, got.certain);
  if (want.uncertainty.empty() ? !got.uncertainty.empty()
                               : got.uncertainty.find(want.uncertainty) == std::string::npos) {
    out << "  uncertainty: want "
        << (want.uncertainty.empty() ? "none" : "text containing " + show(want.uncertainty)) << ", got "
        << show(got.uncertainty) << "\n";
  }
  field("root", want.root, got.root);
  field("log", want.log, got.log);
  field("log_format", want.log_format, got.log_format);
  field("systemd_cgroup", want.systemd_cgroup, got.systemd_cgroup);
  field("cgroup_disabled", want.cgroup_disabled, got.cgroup_disabled);
  field("debug", want.debug, got.debug);
  field("version", want.version, got.version);
  field("help", want.help, got.help);
  field("subcommand", want.subcommand, got.subcommand);
  field("subcommand_name", want.subcommand_name, got.subcommand_name);
  field("container_id", want.container_id, got.container_id);
  field("bundle", want.bundle, got.bundle);
  field("pid_file", want.pid_file, got.pid_file);
  field("console_socket", want.console_socket, got.console_socket);
  field("preserve_fds", want.preserve_fds, got.preserve_fds);
  field("force", want.force, got.force);
  field("detach", want.detach, got.detach);
  field("update.resources", want.update.resources, got.update.resources);
  field("update.cpuset_cpus", want.update.cpuset_cpus, got.update.cpuset_cpus);
  return out.str();
}

}  // namespace isolcpus::testing
