// RuncInvocation: what a runc command line means, read with runc's own grammar
// (shared/docs/RUNC-CLI.md).  The parser is a pure function of argv and the
// working directory; it never touches the filesystem.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace isolcpus {

enum class Subcommand {
  kNone,  // no subcommand (e.g. `runc --version`, `runc --help`, bare `runc`)
  kCheckpoint,
  kCreate,
  kDelete,
  kEvents,
  kExec,
  kFeatures,
  kHelp,
  kInit,
  kKill,
  kList,
  kPause,
  kPs,
  kRestore,
  kResume,
  kRun,
  kSpec,
  kStart,
  kState,
  kUpdate,
};

std::string_view to_string(Subcommand s);

// How `runc update` gets its resources (only the cpu part matters to us).
struct UpdateRequest {
  std::optional<std::string> resources;    // "-" = stdin, otherwise a file path (as given)
  std::optional<std::string> cpuset_cpus;  // --cpuset-cpus value (as given)
};

struct RuncInvocation {
  // False when the command line could not be read with certainty (unknown
  // flag, missing value, unknown subcommand...).  Then the wrapper does no host
  // work for this call and leaves the verdict to runc.  `uncertainty` says why.
  bool certain = true;
  std::string uncertainty;

  // Global flags.
  std::string root = "/run/runc";  // made absolute against cwd
  std::optional<std::string> log;  // as given (runc opens it relative to cwd)
  std::optional<std::string> log_format;
  bool systemd_cgroup = false;
  // crun's `--cgroup-manager=disabled`: the container gets no cgroup of its
  // own (it stays in its caller's), so there is nothing of its own to isolate.
  bool cgroup_disabled = false;
  bool debug = false;
  bool version = false;  // --version / -v as a global flag
  bool help = false;     // --help / -h as a global flag

  Subcommand subcommand = Subcommand::kNone;
  std::string subcommand_name;  // as typed, e.g. "create"

  std::optional<std::string> container_id;
  // create/run/restore: --bundle joined to cwd (default cwd), NOT cleaned:
  // runc chdirs into it, so symlinks resolve before ".."; the lifecycle
  // resolves it (realpath) before reading config.json.
  std::string bundle;
  std::optional<std::string> pid_file;
  std::optional<std::string> console_socket;
  std::optional<unsigned> preserve_fds;
  bool force = false;   // delete --force
  bool detach = false;  // run/restore/exec --detach

  UpdateRequest update;  // only for kUpdate
};

// Which runtime the wrapper execs: the two read the same command line
// (RUNC-CLI.md) but keep their state in different places and formats.
enum class RuntimeKind { kRunc, kCrun };

// From the runtime's path: crun, crun-<handler> (crun picks a handler from
// its argv[0] basename) and krun (crun built with libkrun) are crun; anything
// else is read as runc.
RuntimeKind runtime_kind(std::string_view runtime_path);

// What the command line means depends on the runtime behind it.
struct RuntimeDialect {
  RuntimeKind kind = RuntimeKind::kRunc;
  std::string default_root = "/run/runc";  // --root when none is given
};

// The dialect of `kind`.  crun (1.8.1, status.c) keeps its state under
// $XDG_RUNTIME_DIR/crun whenever that variable is set and not empty, even as
// root, and under /run/crun otherwise; runc always under /run/runc.
RuntimeDialect runtime_dialect(RuntimeKind kind, const char* xdg_runtime_dir);

// args = argv[1..] (argv[0] is not part of runc's grammar).  cwd must be an
// absolute path; it anchors --root and --bundle.
RuncInvocation parse_invocation(std::span<const std::string_view> args, std::string_view cwd,
                                const RuntimeDialect& dialect = {});

}  // namespace isolcpus
