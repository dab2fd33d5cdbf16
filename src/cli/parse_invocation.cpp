// argv -> RuncInvocation, reading the command line the way runc does:
// urfave/cli v1 over Go's flag package (RUNC-CLI.md).  Wherever runc would
// refuse the line, or two runc versions would read it differently, the result
// is marked uncertain so the wrapper does no host work and lets runc decide.
#include "isolcpus/parse_invocation.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "go_flag.hpp"
#include "lexical_path.hpp"
#include "runc_grammar.hpp"
#include "urfave_reorder.hpp"

namespace isolcpus {
namespace {

using cli::FlagHit;
using cli::FlagKind;
using cli::FlagSpec;
using cli::FlagTarget;
using cli::SubcommandSpec;
using cli::TokenClass;

// Everything one Go flag-set pass learns.
struct Pass {
  RuncInvocation inv;
  std::vector<std::string_view> positionals;
  std::optional<std::string_view> bundle;  // --bundle as typed
  std::optional<std::string_view> root;    // --root as typed
  RuntimeKind kind = RuntimeKind::kRunc;
};

// Only the first reason is kept: it is the one runc would report.
void fail(RuncInvocation& inv, std::string why) {
  if (!inv.certain) return;
  inv.certain = false;
  inv.uncertainty = std::move(why);
}

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(s);
  out.push_back('"');
  return out;
}

// "runc" for global flags, "runc create" for a subcommand's.
std::string command_label(std::string_view subcommand) {
  std::string out = "runc";
  if (!subcommand.empty()) {
    out.push_back(' ');
    out.append(subcommand);
  }
  return out;
}

// crun's --cgroup-manager: the last of it and --systemd-cgroup wins.
std::string apply_cgroup_manager(std::string_view value, RuncInvocation& inv) {
  if (value != "systemd" && value != "cgroupfs" && value != "disabled") {
    return "unknown cgroup manager " + quoted(value) + " (crun accepts cgroupfs, systemd, disabled)";
  }
  inv.systemd_cgroup = value == "systemd";
  inv.cgroup_disabled = value == "disabled";
  return {};
}

// Where a boolean flag's value goes; the ones the wrapper has no use for
// are only checked.
void store_bool(FlagTarget target, bool on, RuncInvocation& inv) {
  switch (target) {
    case FlagTarget::kSystemdCgroup:
      inv.systemd_cgroup = on;
      inv.cgroup_disabled = inv.cgroup_disabled && !on;  // crun: the last manager named wins
      break;
    case FlagTarget::kDebug:
      inv.debug = on;
      break;
    case FlagTarget::kVersion:
      inv.version = on;
      break;
    case FlagTarget::kHelp:
      inv.help = on;
      break;
    case FlagTarget::kForce:
      inv.force = on;
      break;
    case FlagTarget::kDetach:
      inv.detach = on;
      break;
    default:
      break;
  }
}

// A boolean flag is on when given bare (`--detach`), else Go's spelling says.
std::string apply_bool(const FlagSpec& flag, std::string_view token, std::optional<std::string_view> value,
                       RuncInvocation& inv) {
  bool on = true;
  if (value) {
    const std::optional<bool> parsed = cli::parse_go_bool(*value);
    if (!parsed) {
      return "invalid boolean value " + quoted(*value) + " in " + quoted(token) +
             " (Go accepts 1, 0, t, f, true, false in any of three cases)";
    }
    on = *parsed;
  }
  store_bool(flag.target, on, inv);
  return {};
}

// Int and int-slice flags: only --preserve-fds is kept, all are checked.
std::string apply_int(const FlagSpec& flag, std::string_view token, std::string_view v, RuncInvocation& inv) {
  const std::optional<std::int64_t> n = cli::parse_go_int(v);
  if (!n) return "invalid number " + quoted(v) + " for " + quoted(token);
  if (flag.target == FlagTarget::kPreserveFds) {
    if (*n < 0 || *n > std::numeric_limits<unsigned>::max()) {
      return "--preserve-fds " + std::string(v) + " is out of range (0 or more file descriptors)";
    }
    inv.preserve_fds = static_cast<unsigned>(*n);
  }
  return {};
}

// String flags: kept as typed (--root and --bundle are resolved later).
std::string apply_string(const FlagSpec& flag, std::string_view v, Pass& p) {
  switch (flag.target) {
    case FlagTarget::kRoot:
      p.root = v;
      break;
    case FlagTarget::kCgroupManager:
      return apply_cgroup_manager(v, p.inv);
    case FlagTarget::kRootless:
      if (p.kind == RuntimeKind::kCrun) {
        // crun 1.8.1 maps --rootless to --root (the state would be under the
        // value); later crun ignores it, as runc does.
        return "crun 1.8.1 reads --rootless " + quoted(v) + " as --root, later crun ignores it";
      }
      break;
    case FlagTarget::kLog:
      p.inv.log = std::string(v);
      break;
    case FlagTarget::kLogFormat:
      p.inv.log_format = std::string(v);
      break;
    case FlagTarget::kBundle:
      p.bundle = v;
      break;
    case FlagTarget::kPidFile:
      p.inv.pid_file = std::string(v);
      break;
    case FlagTarget::kConsoleSocket:
      p.inv.console_socket = std::string(v);
      break;
    case FlagTarget::kResources:
      p.inv.update.resources = std::string(v);
      break;
    case FlagTarget::kCpusetCpus:
      p.inv.update.cpuset_cpus = std::string(v);
      break;
    default:
      break;
  }
  return {};
}

// Stores a flag's value; returns why runc would refuse it, or "".  Every
// kind but bool has its value by now (go_parse took the next token).
std::string apply(const FlagSpec& flag, std::string_view token, std::optional<std::string_view> value,
                  Pass& p) {
  if (flag.kind == FlagKind::kBool) {
    return apply_bool(flag, token, value, p.inv);
  }
  if (flag.kind == FlagKind::kInt || flag.kind == FlagKind::kIntSlice) {
    return apply_int(flag, token, *value, p.inv);
  }
  return apply_string(flag, *value, p);
}

// Go's FlagSet.Parse over `seq`, then urfave's normalizeFlags (which refuses
// a flag given under both its names, e.g. `--force -f`).  Returns where the
// positionals start, or nullopt after recording why runc would refuse.
std::optional<std::size_t> go_parse(std::span<const std::string_view> seq, const SubcommandSpec* sub,
                                    std::string_view sub_name, Pass& p) {
  const std::span<const FlagSpec> table = sub != nullptr ? sub->flags : cli::global_flags();
  // Bit 0: long name used, bit 1: alias used.  Index table.size() is the help flag.
  std::array<std::uint8_t, cli::kMaxFlagsPerTable + 1> forms{};
  std::size_t i = 0;
  while (i < seq.size()) {
    const std::string_view token = seq[i];
    const cli::GoToken t = cli::classify_go_token(token);
    if (t.cls == TokenClass::kPositional) break;
    if (t.cls == TokenClass::kTerminator) {
      ++i;
      break;
    }
    if (t.cls == TokenClass::kBadSyntax) {
      fail(p.inv, "bad flag syntax " + quoted(token) + " for " + command_label(sub_name) +
                      " (runc refuses the command line)");
      return std::nullopt;
    }
    ++i;
    const FlagHit hit =
        sub != nullptr ? cli::find_subcommand_flag(table, t.name) : cli::find_global_flag(t.name);
    if (hit.spec == nullptr) {
      fail(p.inv, std::string(sub != nullptr ? "unknown flag " : "unknown global flag ") + quoted(token) +
                      " for " + command_label(sub_name) + " (runc refuses the command line)");
      return std::nullopt;
    }
    forms[hit.index] |= hit.via_alias ? 2 : 1;
    std::optional<std::string_view> value = t.value;
    if (cli::takes_value(hit.spec->kind) && !value) {
      if (i == seq.size()) {
        fail(p.inv,
             "flag " + quoted(token) + " of " + command_label(sub_name) + " needs a value and has none");
        return std::nullopt;
      }
      value = seq[i++];  // unconditionally, even "-x" or "--"
    }
    if (std::string why = apply(*hit.spec, token, value, p); !why.empty()) {
      fail(p.inv, std::move(why) + " in " + command_label(sub_name));
      return std::nullopt;
    }
  }
  for (std::size_t f = 0; f < forms.size(); ++f) {
    if (forms[f] != 3) continue;
    // Past the table is the help flag urfave adds to every subcommand.
    const std::string_view long_name = f < table.size() ? table[f].name : "help";
    const std::string_view alias = f < table.size() ? table[f].alias : "h";
    fail(p.inv, command_label(sub_name) + ": --" + std::string(long_name) + " and -" + std::string(alias) +
                    " both given; urfave/cli refuses two forms of the same flag");
    return std::nullopt;
  }
  return i;
}

std::string join_quoted(std::span<const std::string_view> words) {
  std::string out;
  for (const std::string_view w : words) {
    if (!out.empty()) out.push_back(' ');
    out += quoted(w);
  }
  return out;
}

bool runs_a_bundle(Subcommand s) {
  return s == Subcommand::kCreate || s == Subcommand::kRun || s == Subcommand::kRestore;
}

// One full reading of a subcommand's arguments, in the order urfave hands
// them to Go's flag package.
Pass read_subcommand(const SubcommandSpec& sub, std::string_view name, std::span<const std::string_view> seq,
                     std::string_view cwd, const RuncInvocation& globals) {
  Pass p{.inv = globals, .positionals = {}, .bundle = {}, .root = {}};
  const std::optional<std::size_t> start = go_parse(seq, &sub, name, p);
  if (start) {
    p.positionals.assign(seq.begin() + static_cast<std::ptrdiff_t>(*start), seq.end());
    const std::size_t n = p.positionals.size();
    const std::string label = command_label(name);
    // urfave shows a subcommand's help (and runc does nothing else) before
    // runc's own argument checks; `help` stays set so the caller passes through.
    const bool checks_args = !p.inv.help;
    if (checks_args && n < sub.min_args) {
      fail(p.inv, sub.takes_container_id ? label + ": no container id given (runc refuses this)"
                                         : label + ": too few arguments (runc refuses this)");
    }
    if (checks_args && sub.max_args != cli::kUnlimitedArgs && n > sub.max_args) {
      fail(p.inv, label + " takes at most " + std::to_string(sub.max_args) +
                      " argument(s) but runc would see " + std::to_string(n) + ": " +
                      join_quoted(p.positionals) +
                      " (a flag after a boolean flag and an argument is read as an argument)");
    }
    if (sub.takes_container_id && n > 0) {
      p.inv.container_id = std::string(p.positionals[0]);
      if (checks_args && !cli::is_valid_container_id(p.positionals[0])) {
        fail(p.inv, label + ": container id " + quoted(p.positionals[0]) +
                        " is not one runc accepts (letters, digits, _ + - . only; not . or ..)");
      }
    }
  }
  if (runs_a_bundle(sub.id)) p.inv.bundle = cli::joined_path(p.bundle.value_or(""), cwd);
  return p;
}

bool same_reading(const Pass& a, const Pass& b) {
  const RuncInvocation& x = a.inv;
  const RuncInvocation& y = b.inv;
  return x.certain == y.certain && x.uncertainty == y.uncertainty && x.root == y.root && x.log == y.log &&
         x.log_format == y.log_format && x.systemd_cgroup == y.systemd_cgroup &&
         x.cgroup_disabled == y.cgroup_disabled && x.debug == y.debug && x.version == y.version &&
         x.help == y.help && x.subcommand == y.subcommand && x.subcommand_name == y.subcommand_name &&
         x.container_id == y.container_id && x.bundle == y.bundle && x.pid_file == y.pid_file &&
         x.console_socket == y.console_socket && x.preserve_fds == y.preserve_fds && x.force == y.force &&
         x.detach == y.detach && x.update.resources == y.update.resources &&
         x.update.cpuset_cpus == y.update.cpuset_cpus && a.positionals == b.positionals;
}

// runc 1.1 and runc 1.2+ vendor different urfave/cli versions; when their
// readings differ we cannot know which one is behind us.
RuncInvocation reconcile(const Pass& old_runc, Pass new_runc, std::string_view name) {
  if (same_reading(old_runc, new_runc)) return std::move(new_runc.inv);
  RuncInvocation out = std::move(new_runc.inv);
  const std::string label = command_label(name);
  if (out.certain && old_runc.inv.certain) {
    out.certain = false;
    out.uncertainty = "runc 1.1 and runc 1.2+ read this " + label +
                      " command line differently; write the subcommand's flags before the container id";
  } else if (out.certain) {
    out.certain = false;
    out.uncertainty = "runc 1.1 would refuse this command line: " + old_runc.inv.uncertainty;
  } else if (old_runc.inv.certain) {
    out.uncertainty = "runc 1.2+ would refuse this command line: " + out.uncertainty;
  } else if (out.uncertainty != old_runc.inv.uncertainty) {
    out.uncertainty = "runc 1.2+: " + out.uncertainty + "; runc 1.1: " + old_runc.inv.uncertainty;
  }
  return out;
}

void settle_root(Pass& g, std::string_view cwd) {
  if (!g.root) return;
  if (g.root->empty()) {
    // runc 1.1 keeps "" as the state directory, 1.2+ turns it into cwd.
    g.inv.root.clear();
    fail(g.inv, "--root is empty; runc versions disagree on what that means");
    return;
  }
  g.inv.root = cli::absolute_path(*g.root, cwd);
  if (g.inv.root == "/") fail(g.inv, "--root " + quoted(*g.root) + " resolves to /, which runc refuses");
}

}  // namespace

RuntimeKind runtime_kind(std::string_view runtime_path) {
  const auto slash = runtime_path.rfind('/');
  const std::string_view base =
      slash == std::string_view::npos ? runtime_path : runtime_path.substr(slash + 1);
  const bool crun = base == "crun" || base == "krun" || (base.starts_with("crun-") && base.size() > 5);
  return crun ? RuntimeKind::kCrun : RuntimeKind::kRunc;
}

RuntimeDialect runtime_dialect(RuntimeKind kind, const char* xdg_runtime_dir) {
  if (kind == RuntimeKind::kRunc) {
    return {};
  }
  const std::string_view xdg = xdg_runtime_dir == nullptr ? "" : xdg_runtime_dir;
  return {RuntimeKind::kCrun, xdg.empty() ? std::string("/run/crun") : std::string(xdg) + "/crun"};
}

RuncInvocation parse_invocation(std::span<const std::string_view> args, std::string_view cwd,
                                const RuntimeDialect& dialect) {
  // runc's init() handles `runc init` (its own re-exec) before urfave/cli
  // runs, and only as the very first argument.
  if (!args.empty() && args[0] == "init") {
    RuncInvocation inv;
    inv.subcommand = Subcommand::kInit;
    inv.subcommand_name = "init";
    return inv;
  }

  Pass g;
  g.kind = dialect.kind;
  // crun takes a relative $XDG_RUNTIME_DIR as it is, against its cwd.
  g.inv.root = cli::absolute_path(dialect.default_root, cwd);
  const std::optional<std::size_t> start = go_parse(args, nullptr, {}, g);
  settle_root(g, cwd);
  // urfave prints help or the version and stops before looking at the rest.
  if (!start || g.inv.help || g.inv.version) return std::move(g.inv);

  const std::span<const std::string_view> rest = args.subspan(*start);
  if (rest.empty()) return std::move(g.inv);  // bare `runc`: prints help

  const std::string_view name = rest[0];
  // urfave answers an empty command name with the application's help.
  if (name.empty()) return std::move(g.inv);
  g.inv.subcommand_name = std::string(name);
  const SubcommandSpec* sub = cli::find_subcommand(name);
  if (sub == nullptr) {
    fail(g.inv, "unknown subcommand " + quoted(name) + " (runc prints \"No help topic\" and fails)");
    return std::move(g.inv);
  }
  g.inv.subcommand = sub->id;
  const std::span<const std::string_view> sub_args = rest.subspan(1);
  if (!sub->reorders) return read_subcommand(*sub, name, sub_args, cwd, g.inv).inv;

  std::vector<std::string_view> old_order;
  std::vector<std::string_view> new_order;
  cli::reorder_urfave_1_22_1(sub_args, old_order);
  cli::reorder_urfave_1_22_14(sub->flags, sub_args, new_order);
  Pass new_reading = read_subcommand(*sub, name, new_order, cwd, g.inv);
  if (old_order == new_order) return std::move(new_reading.inv);
  return reconcile(read_subcommand(*sub, name, old_order, cwd, g.inv), std::move(new_reading), name);
}

}  // namespace isolcpus
