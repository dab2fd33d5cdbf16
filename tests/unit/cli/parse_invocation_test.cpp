// parse_invocation against the command lines real callers send and the
// corners of runc's grammar (RUNC-CLI.md).  Each case states the whole
// expected RuncInvocation: defaults plus the fields the case changes.
// Where runc's behaviour is surprising, the case was checked against the
// runc 1.1.5 binary and the urfave/cli sources runc 1.2-1.5 vendor.
#include "isolcpus/parse_invocation.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "invocation_compare.hpp"

namespace isolcpus {
namespace {

struct Case {
  std::string name;
  std::vector<std::string_view> argv;  // argv[1..]
  std::string_view cwd;
  std::function<void(RuncInvocation&)> expect;  // applied to a default RuncInvocation
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

constexpr std::string_view kId = "3f1c9a0b7e2d";
constexpr std::string_view kCtrdRoot = "/run/containerd/runc/k8s.io";
constexpr std::string_view kCtrdBundle = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/3f1c9a0b7e2d";
constexpr std::string_view kCtrdLog =
    "/run/containerd/io.containerd.runtime.v2.task/k8s.io/3f1c9a0b7e2d/log.json";
constexpr std::string_view kCrioBundle = "/run/containers/storage/overlay-containers/3f1c9a0b7e2d/userdata";

std::string s(std::string_view v) { return std::string(v); }

// The containerd shim's global flags.
void ctrd_globals(RuncInvocation& e) {
  e.root = s(kCtrdRoot);
  e.log = s(kCtrdLog);
  e.log_format = "json";
}

void sub(RuncInvocation& e, Subcommand c, std::string_view name, std::optional<std::string_view> id = kId) {
  e.subcommand = c;
  e.subcommand_name = s(name);
  if (id) e.container_id = s(*id);
}

void uncertain(RuncInvocation& e, std::string_view why) {
  e.certain = false;
  e.uncertainty = s(why);
}

std::vector<Case> cases() {
  using S = Subcommand;
  std::vector<Case> v;
  auto add = [&v](std::string name, std::vector<std::string_view> argv, std::string_view cwd,
                  std::function<void(RuncInvocation&)> expect) {
    v.push_back(Case{std::move(name), std::move(argv), cwd, std::move(expect)});
  };
  const std::string_view R = kCtrdRoot;
  const std::string_view L = kCtrdLog;
  const std::string_view B = kCtrdBundle;

  // ---- containerd shim (go-runc) ----
  add("containerd_create",
      {"--root", R, "--log", L, "--log-format", "json", "create", "--bundle", B, "--pid-file",
       "/run/containerd/io.containerd.runtime.v2.task/k8s.io/3f1c9a0b7e2d/init.pid", kId},
      B, [](RuncInvocation& e) {
        ctrd_globals(e);
        sub(e, S::kCreate, "create");
        e.bundle = s(kCtrdBundle);
        e.pid_file = s(kCtrdBundle) + "/init.pid";
      });
  add("containerd_create_systemd_console_nopivot_keyring",
      {"--root", R, "--log", L, "--log-format", "json", "--systemd-cgroup", "create", "--bundle", B,
       "--pid-file", "/b/init.pid", "--console-socket", "/tmp/pty123/pty.sock", "--no-pivot",
       "--no-new-keyring", kId},
      B, [](RuncInvocation& e) {
        ctrd_globals(e);
        e.systemd_cgroup = true;
        sub(e, S::kCreate, "create");
        e.bundle = s(kCtrdBundle);
        e.pid_file = "/b/init.pid";
        e.console_socket = "/tmp/pty123/pty.sock";
      });
  add("containerd_start", {"--root", R, "--log", L, "--log-format", "json", "start", kId}, B,
      [](RuncInvocation& e) {
        ctrd_globals(e);
        sub(e, S::kStart, "start");
      });
  add("containerd_exec",
      {"--root", R, "--log", L, "--log-format", "json", "exec", "--process", "/tmp/runc-process2786158912",
       "--console-socket", "/tmp/pty9/pty.sock", "--detach", "--pid-file", "/b/exec1.pid", kId},
      B, [](RuncInvocation& e) {
        ctrd_globals(e);
        sub(e, S::kExec, "exec");
        e.console_socket = "/tmp/pty9/pty.sock";
        e.detach = true;
        e.pid_file = "/b/exec1.pid";
      });
  add("containerd_update_stdin",
      {"--root", R, "--log", L, "--log-format", "json", "update", "--resources", "-", kId}, B,
      [](RuncInvocation& e) {
        ctrd_globals(e);
        sub(e, S::kUpdate, "update");
        e.update.resources = "-";
      });
  add("containerd_kill", {"--root", R, "--log", L, "--log-format", "json", "kill", kId, "9"}, B,
      [](RuncInvocation& e) {
        ctrd_globals(e);
        sub(e, S::kKill, "kill");
      });
  add("containerd_kill_all", {"--root", R, "--log", L, "--log-format", "json", "kill", "--all", kId, "9"}, B,
      [](RuncInvocation& e) {
        ctrd_globals(e);
        sub(e, S::kKill, "kill");
      });
  add("containerd_ps", {"--root", R, "--log", L, "--log-format", "json", "ps", "--format", "json", kId}, B,
      [](RuncInvocation& e) {
        ctrd_globals(e);
        sub(e, S::kPs, "ps");
      });
  add("containerd_pause", {"--root", R, "--log", L, "--log-format", "json", "pause", kId}, B,
      [](RuncInvocation& e) {
        ctrd_globals(e);
        sub(e, S::kPause, "pause");
      });
  add("containerd_delete",
      {"--root", R, "--log", L, "--log-format", "json", "--systemd-cgroup", "delete", kId}, B,
      [](RuncInvocation& e) {
        ctrd_globals(e);
        e.systemd_cgroup = true;
        sub(e, S::kDelete, "delete");
      });
  add("containerd_delete_force", {"--root", R, "--log", L, "--log-format", "json", "delete", "--force", kId},
      B, [](RuncInvocation& e) {
        ctrd_globals(e);
        sub(e, S::kDelete, "delete");
        e.force = true;
      });
  add("containerd_features", {"features"}, "/",
      [](RuncInvocation& e) { sub(e, S::kFeatures, "features", {}); });
  add("containerd_version", {"--version"}, "/", [](RuncInvocation& e) { e.version = true; });

  // ---- CRI-O and conmon ----
  add("crio_create",
      {"--systemd-cgroup", "--root=/run/runc", "create", "--bundle", kCrioBundle, "--pid-file",
       "/run/containers/storage/overlay-containers/3f1c9a0b7e2d/userdata/pidfile", "--no-pivot",
       "--console-socket", "/var/run/crio/3f1c/attach", kId},
      kCrioBundle, [](RuncInvocation& e) {
        e.systemd_cgroup = true;
        sub(e, S::kCreate, "create");
        e.bundle = s(kCrioBundle);
        e.pid_file = s(kCrioBundle) + "/pidfile";
        e.console_socket = "/var/run/crio/3f1c/attach";
      });
  add("crio_start", {"--root=/run/runc", "start", kId}, "/",
      [](RuncInvocation& e) { sub(e, S::kStart, "start"); });
  add("crio_state", {"--root=/run/runc", "state", kId}, "/",
      [](RuncInvocation& e) { sub(e, S::kState, "state"); });
  add("crio_pause", {"--systemd-cgroup", "--root=/run/runc", "pause", kId}, "/", [](RuncInvocation& e) {
    e.systemd_cgroup = true;
    sub(e, S::kPause, "pause");
  });
  add("crio_resume", {"--root=/run/runc", "resume", kId}, "/",
      [](RuncInvocation& e) { sub(e, S::kResume, "resume"); });
  add("crio_kill_15", {"--root=/run/runc", "kill", kId, "15"}, "/",
      [](RuncInvocation& e) { sub(e, S::kKill, "kill"); });
  add("crio_delete_force", {"--root=/run/runc", "delete", "--force", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete");
    e.force = true;
  });
  add("crio_update_stdin", {"--systemd-cgroup", "--root=/run/runc", "update", "--resources", "-", kId}, "/",
      [](RuncInvocation& e) {
        e.systemd_cgroup = true;
        sub(e, S::kUpdate, "update");
        e.update.resources = "-";
      });
  add("crio_exec_process", {"--root=/run/runc", "exec", "--process", "/tmp/exec-process-1", kId}, "/",
      [](RuncInvocation& e) { sub(e, S::kExec, "exec"); });

  // ---- podman ----
  add("podman_create",
      {"--log-format=json", "--log", "/var/lib/containers/storage/overlay-containers/3f1c/userdata/oci-log",
       "create", "--bundle", "/var/lib/containers/storage/overlay-containers/3f1c/userdata", "--pid-file",
       "/run/containers/storage/overlay-containers/3f1c/userdata/pidfile", kId},
      "/", [](RuncInvocation& e) {
        e.log_format = "json";
        e.log = "/var/lib/containers/storage/overlay-containers/3f1c/userdata/oci-log";
        sub(e, S::kCreate, "create");
        e.bundle = "/var/lib/containers/storage/overlay-containers/3f1c/userdata";
        e.pid_file = "/run/containers/storage/overlay-containers/3f1c/userdata/pidfile";
      });
  add("podman_update_resources_file", {"update", "--resources=/tmp/podman123", kId}, "/",
      [](RuncInvocation& e) {
        sub(e, S::kUpdate, "update");
        e.update.resources = "/tmp/podman123";
      });
  add("podman_start", {"--log-format=json", "--log", "/x/oci-log", "start", kId}, "/", [](RuncInvocation& e) {
    e.log_format = "json";
    e.log = "/x/oci-log";
    sub(e, S::kStart, "start");
  });
  add("podman_kill_15", {"kill", kId, "15"}, "/", [](RuncInvocation& e) { sub(e, S::kKill, "kill"); });
  add("podman_delete_force", {"delete", "--force", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete");
    e.force = true;
  });

  // ---- flag spellings ----
  add("global_root_equals", {"--root=/x/y", "state", kId}, "/", [](RuncInvocation& e) {
    e.root = "/x/y";
    sub(e, S::kState, "state");
  });
  add("global_single_dash_long", {"-root", "/x", "-systemd-cgroup", "state", kId}, "/",
      [](RuncInvocation& e) {
        e.root = "/x";
        e.systemd_cgroup = true;
        sub(e, S::kState, "state");
      });
  add("single_dash_value_equals", {"create", "-bundle=/b", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create");
    e.bundle = "/b";
  });
  add("run_single_dash_no_subreaper", {"run", "-no-subreaper", "-d", "-pid-file", "/p", kId}, "/b",
      [](RuncInvocation& e) {
        sub(e, S::kRun, "run");
        e.bundle = "/b";
        e.detach = true;
        e.pid_file = "/p";
      });
  add("double_dash_alias", {"create", "--b", "/b", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create");
    e.bundle = "/b";
  });
  add("alias_b", {"create", "-b", "/b", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create");
    e.bundle = "/b";
  });
  add("alias_d_run", {"run", "-d", "--bundle", "/b", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kRun, "run");
    e.bundle = "/b";
    e.detach = true;
  });
  add("alias_d_restore", {"restore", "-d", "--image-path", "/img", "-b", "rel", kId}, "/c",
      [](RuncInvocation& e) {
        sub(e, S::kRestore, "restore");
        e.bundle = "/c/rel";
        e.detach = true;
      });
  add("alias_f_delete", {"delete", "-f", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete");
    e.force = true;
  });
  add("alias_r_update", {"update", "-r", "/tmp/r.json", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kUpdate, "update");
    e.update.resources = "/tmp/r.json";
  });
  add("alias_p_exec", {"exec", "-p", "/tmp/proc.json", "-t", "-d", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kExec, "exec");
    e.detach = true;
  });
  add("update_cpuset_cpus", {"update", "--cpuset-cpus", "2-3,6", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kUpdate, "update");
    e.update.cpuset_cpus = "2-3,6";
  });
  add("update_cpuset_then_resources", {"update", "--cpuset-cpus=1", "-r", "-", kId}, "/",
      [](RuncInvocation& e) {
        sub(e, S::kUpdate, "update");
        e.update.resources = "-";
        e.update.cpuset_cpus = "1";
      });
  // runc 1.1 leaves "-" behind and hands -r the next flag instead.
  add("update_resources_dash_then_flags", {"update", "-r", "-", "--cpuset-cpus=1", "--memory", "1g", kId},
      "/", [](RuncInvocation& e) {
        sub(e, S::kUpdate, "update");
        e.update.resources = "-";
        e.update.cpuset_cpus = "1";
        uncertain(e, "runc 1.1 would refuse");
      });
  add("update_resources_equals_dash", {"update", "--resources=-", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kUpdate, "update");
    e.update.resources = "-";
  });

  // ---- `--` ----
  add("global_double_dash", {"--root", "/x", "--", "create", kId}, "/c", [](RuncInvocation& e) {
    e.root = "/x";
    sub(e, S::kCreate, "create");
    e.bundle = "/c";
  });
  add("global_double_dash_alone", {"--root", "/x", "--"}, "/", [](RuncInvocation& e) { e.root = "/x"; });
  add("subcommand_double_dash", {"update", "-r", "-", "--", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kUpdate, "update");
    e.update.resources = "-";
  });
  add("double_dash_id_starting_with_dash", {"delete", "--", "-odd-id"}, "/",
      [](RuncInvocation& e) { sub(e, S::kDelete, "delete", "-odd-id"); });
  add("double_dash_then_flag_is_positional", {"start", "--", kId, "--bogus"}, "/", [](RuncInvocation& e) {
    sub(e, S::kStart, "start");
    uncertain(e, "at most 1 argument");
  });
  add("exec_double_dash_before_id", {"exec", "-t", "--", kId, "sh"}, "/",
      [](RuncInvocation& e) { sub(e, S::kExec, "exec"); });
  // runc 1.1's urfave/cli leaves a trailing "--" among the positionals
  // ("requires exactly 1 argument"), 1.2+ drops it.
  add("trailing_double_dash_versions_disagree", {"delete", kId, "--"}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete");
    uncertain(e, "runc 1.1 would refuse");
  });

  // ---- flags after positionals ----
  add("create_flags_after_id", {"create", kId, "--bundle", "/b", "--pid-file", "/b/pid"}, "/c",
      [](RuncInvocation& e) {
        sub(e, S::kCreate, "create");
        e.bundle = "/b";
        e.pid_file = "/b/pid";
      });
  add("delete_force_after_id", {"delete", kId, "--force"}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete");
    e.force = true;
  });
  // runc 1.1's urfave/cli never moves "-" next to its flag, so it reads
  // --resources=ID and container "-"; runc 1.2+ reads what was meant.
  add("update_resources_after_id_versions_disagree", {"update", kId, "--resources", "-"}, "/",
      [](RuncInvocation& e) {
        sub(e, S::kUpdate, "update");
        e.update.resources = "-";
        uncertain(e, "runc 1.1 and runc 1.2+ read this runc update command line differently");
      });
  add("update_resources_file_after_id", {"update", kId, "--resources", "/tmp/r.json"}, "/",
      [](RuncInvocation& e) {
        sub(e, S::kUpdate, "update");
        e.update.resources = "/tmp/r.json";
      });
  add("kill_all_after_signal", {"kill", kId, "9", "--all"}, "/",
      [](RuncInvocation& e) { sub(e, S::kKill, "kill"); });
  // urfave moves the word after a bool flag next to it, so runc reads
  // `--no-pivot ID --bundle /b` and sees three arguments (checked on runc 1.1.5).
  add("bool_flag_then_id_then_flags", {"create", "--no-pivot", kId, "--bundle", "/b"}, "/c",
      [](RuncInvocation& e) {
        sub(e, S::kCreate, "create");
        e.bundle = "/c";
        e.container_id = s(kId);
        uncertain(e, "at most 1 argument");
      });
  // Same move: runc reads "9" as the container and the id as the signal.
  add("kill_id_then_all_then_signal", {"kill", kId, "--all", "9"}, "/",
      [](RuncInvocation& e) { sub(e, S::kKill, "kill", "9"); });

  // ---- exec and ps stop at the container id ----
  add("exec_stops_at_id", {"exec", kId, "--detach", "--pid-file", "/p"}, "/",
      [](RuncInvocation& e) { sub(e, S::kExec, "exec"); });
  add("exec_version_is_a_process_argument", {"exec", "-t", kId, "sh", "-c", "--version"}, "/",
      [](RuncInvocation& e) { sub(e, S::kExec, "exec"); });
  add("exec_create_as_command", {"exec", kId, "create", "--bundle", "/x"}, "/",
      [](RuncInvocation& e) { sub(e, S::kExec, "exec"); });
  add("exec_repeatable_env_cap",
      {"exec", "-e", "A=1", "--env", "B=2", "--cap", "CAP_KILL", "-c", "CAP_CHOWN", kId}, "/",
      [](RuncInvocation& e) {
        sub(e, S::kExec, "exec", {});
        uncertain(e, "--env and -e both given");  // two forms of one flag, even a repeatable one
      });
  add("exec_repeatable_same_form",
      {"exec", "--env", "A=1", "--env", "B=2", "--additional-gids", "10", "-u", "0:0", "--preserve-fds", "2",
       kId, "true"},
      "/", [](RuncInvocation& e) {
        sub(e, S::kExec, "exec");
        e.preserve_fds = 2U;
      });
  add("exec_bad_gid", {"exec", "--additional-gids", "wheel", kId, "true"}, "/", [](RuncInvocation& e) {
    sub(e, S::kExec, "exec", {});
    uncertain(e, "invalid number \"wheel\"");
  });
  add("exec_no_short_flag_clustering", {"exec", "-td", kId, "sh"}, "/", [](RuncInvocation& e) {
    sub(e, S::kExec, "exec", {});
    uncertain(e, "unknown flag \"-td\"");
  });
  add("ps_stops_at_id", {"ps", kId, "-ef"}, "/", [](RuncInvocation& e) { sub(e, S::kPs, "ps"); });
  add("ps_format_alias", {"ps", "-f", "table", kId, "aux", "--format"}, "/",
      [](RuncInvocation& e) { sub(e, S::kPs, "ps"); });
  add("exec_missing_id", {"exec", "--tty"}, "/", [](RuncInvocation& e) {
    sub(e, S::kExec, "exec", {});
    uncertain(e, "no container id");
  });

  // ---- repeated flags ----
  add("repeated_root_last_wins", {"--root", "/a", "--root", "/b", "state", kId}, "/", [](RuncInvocation& e) {
    e.root = "/b";
    sub(e, S::kState, "state");
  });
  add("repeated_bundle_last_wins", {"create", "--bundle", "/a", "--bundle", "/b", kId}, "/c",
      [](RuncInvocation& e) {
        sub(e, S::kCreate, "create");
        e.bundle = "/b";
      });
  add("repeated_force", {"delete", "--force", "--force", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete");
    e.force = true;
  });
  add("repeated_bool_last_false_wins",
      {"--systemd-cgroup", "--systemd-cgroup=false", "delete", "-f", "-f=0", kId}, "/",
      [](RuncInvocation& e) { sub(e, S::kDelete, "delete"); });
  // urfave/cli refuses a flag given under both names (checked on runc 1.1.5).
  add("bundle_both_forms", {"create", "--bundle", "/a", "-b", "/b", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create", {});
    e.bundle = "/b";
    uncertain(e, "--bundle and -b both given");
  });
  add("force_both_forms", {"delete", "-f", "--force", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete", {});
    e.force = true;
    uncertain(e, "--force and -f both given");
  });
  add("global_version_both_forms", {"-v", "--version"}, "/", [](RuncInvocation& e) {
    e.version = true;
    uncertain(e, "--version and -v both given");
  });

  // ---- unknown or malformed ----
  add("unknown_global_flag", {"--bogus", "create", kId}, "/",
      [](RuncInvocation& e) { uncertain(e, "unknown global flag \"--bogus\""); });
  add("unknown_subcommand_flag", {"create", "--bogus", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create", {});
    e.bundle = "/c";
    uncertain(e, "unknown flag \"--bogus\"");
  });
  // runc 1.1 reports the unknown flag, 1.2+ sees it as a second argument.
  add("unknown_flag_after_id", {"delete", kId, "--bogus=1"}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete");
    uncertain(e, "unknown flag \"--bogus=1\"");
  });
  add("global_flag_after_subcommand", {"create", kId, "--root", "/x"}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create");
    e.bundle = "/c";
    uncertain(e, "unknown flag \"--root\"");
  });
  add("version_flag_on_state_is_unknown", {"state", "--version"}, "/", [](RuncInvocation& e) {
    sub(e, S::kState, "state", {});
    uncertain(e, "unknown flag \"--version\"");
  });
  add("bad_flag_syntax_triple_dash", {"create", "---bundle", "/b", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create", {});
    e.bundle = "/c";
    uncertain(e, "bad flag syntax \"---bundle\"");
  });
  add("bad_flag_syntax_equals", {"-=x", "state", kId}, "/",
      [](RuncInvocation& e) { uncertain(e, "bad flag syntax \"-=x\""); });
  add("unknown_subcommand", {"--root", "/x", "frobnicate", kId}, "/", [](RuncInvocation& e) {
    e.root = "/x";
    e.subcommand_name = "frobnicate";
    uncertain(e, "unknown subcommand \"frobnicate\"");
  });
  add("init_after_global_flag_is_unknown", {"--debug", "init"}, "/", [](RuncInvocation& e) {
    e.debug = true;
    e.subcommand_name = "init";
    uncertain(e, "unknown subcommand \"init\"");
  });

  // ---- missing values ----
  add("missing_value_at_end", {"exec", "--pid-file"}, "/", [](RuncInvocation& e) {
    sub(e, S::kExec, "exec", {});
    uncertain(e, "\"--pid-file\" of runc exec needs a value");
  });
  add("missing_value_only_argument", {"create", "--bundle"}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create", {});
    e.bundle = "/c";
    uncertain(e, "\"--bundle\" of runc create needs a value");
  });
  add("unknown_flag_after_bool", {"delete", "-f", "--bogus"}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete", {});
    e.force = true;
    uncertain(e, "unknown flag \"--bogus\"");
  });
  // urfave moves the id behind the dangling --bundle, which takes it.
  add("missing_value_after_id_takes_id", {"create", kId, "--bundle"}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create", {});
    e.bundle = "/c/" + s(kId);
    uncertain(e, "no container id");
  });
  add("missing_global_value", {"--root"}, "/",
      [](RuncInvocation& e) { uncertain(e, "\"--root\" of runc needs a value"); });
  add("value_flag_takes_dash_token", {"create", "--pid-file", "--no-pivot", kId}, "/c",
      [](RuncInvocation& e) {
        sub(e, S::kCreate, "create");
        e.bundle = "/c";
        e.pid_file = "--no-pivot";
      });
  add("global_value_takes_subcommand_word", {"--log", "create", "start", kId}, "/", [](RuncInvocation& e) {
    e.log = "create";
    sub(e, S::kStart, "start");
  });
  add("value_flag_takes_double_dash", {"create", "--console-socket", "--", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create");
    e.bundle = "/c";
    e.console_socket = "--";
  });

  // ---- empty arguments ----
  add("empty_container_id", {"delete", ""}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete", "");
    uncertain(e, "is not one runc accepts");
  });
  add("empty_flag_value", {"create", "--console-socket", "", "--bundle", "/b", kId}, "/c",
      [](RuncInvocation& e) {
        sub(e, S::kCreate, "create");
        e.bundle = "/b";
        e.console_socket = "";
      });
  add("empty_bundle_means_cwd", {"create", "--bundle=", kId}, "/c/d", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create");
    e.bundle = "/c/d";
  });
  // urfave prints the application's help for an empty command name (runc 1.1.5: exit 0).
  add("empty_word_before_subcommand", {"", "create", kId}, "/", [](RuncInvocation&) {});
  add("empty_extra_positional", {"start", kId, ""}, "/", [](RuncInvocation& e) {
    sub(e, S::kStart, "start");
    uncertain(e, "at most 1 argument");
  });
  add("exec_empty_process_args", {"exec", kId, "", ""}, "/",
      [](RuncInvocation& e) { sub(e, S::kExec, "exec"); });

  // ---- words that look like subcommands or flags ----
  add("id_named_create", {"create", "--bundle", "/b", "create"}, "/", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create", "create");
    e.bundle = "/b";
  });
  add("id_named_delete_for_delete", {"delete", "--force", "delete"}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete", "delete");
    e.force = true;
  });
  add("version_after_subcommand_is_not_global", {"start", "create"}, "/",
      [](RuncInvocation& e) { sub(e, S::kStart, "start", "create"); });
  add("id_path_traversal", {"state", "../../etc"}, "/", [](RuncInvocation& e) {
    sub(e, S::kState, "state", "../../etc");
    uncertain(e, "is not one runc accepts");
  });
  add("id_dotdot", {"delete", ".."}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete", "..");
    uncertain(e, "is not one runc accepts");
  });

  // ---- root and bundle paths ----
  add("relative_root", {"--root", "./r", "state", kId}, "/b", [](RuncInvocation& e) {
    e.root = "/b/r";
    sub(e, S::kState, "state");
  });
  add("relative_root_dotdot", {"--root", "../x/./y//z/", "state", kId}, "/a/b", [](RuncInvocation& e) {
    e.root = "/a/x/y/z";
    sub(e, S::kState, "state");
  });
  add("absolute_root_cleaned", {"--root=/run//runc/../crun/", "list"}, "/", [](RuncInvocation& e) {
    e.root = "/run/crun";
    sub(e, S::kList, "list", {});
  });
  add("root_resolving_to_slash", {"--root", "../..", "state", kId}, "/a", [](RuncInvocation& e) {
    e.root = "/";
    sub(e, S::kState, "state");
    uncertain(e, "resolves to /");
  });
  add("root_empty", {"--root=", "state", kId}, "/a", [](RuncInvocation& e) {
    e.root = "";
    sub(e, S::kState, "state");
    uncertain(e, "--root is empty");
  });
  // Not cleaned: runc chdirs, and the kernel follows symlinks before "..".
  add("relative_bundle", {"create", "--bundle", "../bundle", kId}, "/a/b", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create");
    e.bundle = "/a/b/../bundle";
  });
  add("absolute_bundle_kept_as_given", {"create", "--bundle", "/x/lnk/../b/", kId}, "/a",
      [](RuncInvocation& e) {
        sub(e, S::kCreate, "create");
        e.bundle = "/x/lnk/../b/";
      });
  add("bundle_defaults_to_cwd", {"create", kId}, "/run/b/", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create");
    e.bundle = "/run/b";
  });
  add("log_kept_as_given", {"--log", "log.json", "--log-format", "text", "start", kId}, "/b",
      [](RuncInvocation& e) {
        e.log = "log.json";
        e.log_format = "text";
        sub(e, S::kStart, "start");
      });

  // ---- crun ----
  add("crun_cgroup_manager_log_level",
      {"--cgroup-manager", "systemd", "--log-level=debug", "--root", "/run/crun", "create", "--bundle", "/b",
       kId},
      "/", [](RuncInvocation& e) {
        e.root = "/run/crun";
        e.systemd_cgroup = true;
        sub(e, S::kCreate, "create");
        e.bundle = "/b";
      });
  add("criu_global_value",
      {"--criu", "/usr/sbin/criu", "checkpoint", "--image-path", "/img", "--leave-running", kId}, "/",
      [](RuncInvocation& e) { sub(e, S::kCheckpoint, "checkpoint"); });
  add("global_rootless_takes_value", {"--rootless", "true", "spec", "--rootless"}, "/",
      [](RuncInvocation& e) { sub(e, S::kSpec, "spec", {}); });
  add("spec_rootless_is_bool", {"spec", "--rootless", "--bundle", "/x"}, "/",
      [](RuncInvocation& e) { sub(e, S::kSpec, "spec", {}); });
  add("spec_rootless_takes_no_value", {"spec", "--rootless", "true"}, "/", [](RuncInvocation& e) {
    sub(e, S::kSpec, "spec", {});
    uncertain(e, "at most 0 argument");
  });

  // ---- bool values ----
  add("bool_equals_false_forms", {"--systemd-cgroup=false", "--debug=F", "delete", "--force=0", kId}, "/",
      [](RuncInvocation& e) { sub(e, S::kDelete, "delete"); });
  add("bool_equals_true_forms", {"--debug=T", "--systemd-cgroup=True", "run", "-d=TRUE", "--keep=1", kId},
      "/c", [](RuncInvocation& e) {
        e.debug = true;
        e.systemd_cgroup = true;
        sub(e, S::kRun, "run");
        e.bundle = "/c";
        e.detach = true;
      });
  add("bool_detach_false", {"run", "--detach=false", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kRun, "run");
    e.bundle = "/c";
  });
  add("bool_bad_value", {"delete", "--force=yes", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kDelete, "delete", {});
    uncertain(e, "invalid boolean value \"yes\"");
  });
  add("bool_never_consumes_next", {"--debug", "start", kId}, "/", [](RuncInvocation& e) {
    e.debug = true;
    sub(e, S::kStart, "start");
  });

  // ---- kill ----
  add("kill_signal_name", {"kill", kId, "KILL"}, "/", [](RuncInvocation& e) { sub(e, S::kKill, "kill"); });
  add("kill_signal_sig_name", {"kill", kId, "SIGTERM"}, "/",
      [](RuncInvocation& e) { sub(e, S::kKill, "kill"); });
  add("kill_signal_lowercase", {"kill", "-a", kId, "sighup"}, "/",
      [](RuncInvocation& e) { sub(e, S::kKill, "kill"); });
  add("kill_default_signal", {"kill", kId}, "/", [](RuncInvocation& e) { sub(e, S::kKill, "kill"); });
  add("kill_too_many", {"kill", kId, "9", "extra"}, "/", [](RuncInvocation& e) {
    sub(e, S::kKill, "kill");
    uncertain(e, "at most 2 argument");
  });

  // ---- argument counts ----
  add("create_two_ids", {"create", "a", "b"}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create", "a");
    e.bundle = "/c";
    uncertain(e, "at most 1 argument");
  });
  add("start_missing_id", {"start"}, "/", [](RuncInvocation& e) {
    sub(e, S::kStart, "start", {});
    uncertain(e, "no container id");
  });
  add("delete_missing_id", {"--root", "/x", "delete", "--force"}, "/", [](RuncInvocation& e) {
    e.root = "/x";
    sub(e, S::kDelete, "delete", {});
    e.force = true;
    uncertain(e, "no container id");
  });
  add("list", {"list"}, "/", [](RuncInvocation& e) { sub(e, S::kList, "list", {}); });
  add("list_flags", {"list", "-f", "json", "-q"}, "/",
      [](RuncInvocation& e) { sub(e, S::kList, "list", {}); });
  add("list_with_argument", {"list", kId}, "/", [](RuncInvocation& e) {
    sub(e, S::kList, "list", {});
    uncertain(e, "at most 0 argument");
  });
  add("features_with_argument", {"features", "x"}, "/", [](RuncInvocation& e) {
    sub(e, S::kFeatures, "features", {});
    uncertain(e, "at most 0 argument");
  });

  // ---- help, version, init ----
  add("bare_runc", {}, "/", [](RuncInvocation&) {});
  add("global_help", {"--help"}, "/", [](RuncInvocation& e) { e.help = true; });
  add("global_help_short", {"-h"}, "/", [](RuncInvocation& e) { e.help = true; });
  add("global_version_short", {"-v"}, "/", [](RuncInvocation& e) { e.version = true; });
  add("version_before_subcommand", {"--version", "create", kId}, "/",
      [](RuncInvocation& e) { e.version = true; });
  add("version_false_then_subcommand", {"--version=false", "state", kId}, "/",
      [](RuncInvocation& e) { sub(e, S::kState, "state"); });
  add("help_subcommand", {"help", "create"}, "/", [](RuncInvocation& e) { sub(e, S::kHelp, "help", {}); });
  add("help_alias_h", {"h"}, "/", [](RuncInvocation& e) { sub(e, S::kHelp, "h", {}); });
  add("subcommand_help_flag", {"create", "--help"}, "/c", [](RuncInvocation& e) {
    e.help = true;
    sub(e, S::kCreate, "create", {});
    e.bundle = "/c";
  });
  add("subcommand_help_short_with_id", {"delete", "-h", kId}, "/", [](RuncInvocation& e) {
    e.help = true;
    sub(e, S::kDelete, "delete");
  });
  add("init", {"init"}, "/", [](RuncInvocation& e) { sub(e, S::kInit, "init", {}); });

  // ---- numbers ----
  add("preserve_fds", {"run", "--preserve-fds", "3", "-d", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kRun, "run");
    e.bundle = "/c";
    e.detach = true;
    e.preserve_fds = 3U;
  });
  add("preserve_fds_hex_and_octal", {"create", "--preserve-fds=0x10", "--preserve-fds", "010", kId}, "/c",
      [](RuncInvocation& e) {
        sub(e, S::kCreate, "create");
        e.bundle = "/c";
        e.preserve_fds = 8U;  // Go reads a leading 0 as octal; the last one wins
      });
  add("preserve_fds_not_a_number", {"create", "--preserve-fds", "abc", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create", {});
    e.bundle = "/c";
    uncertain(e, "invalid number \"abc\"");
  });
  add("preserve_fds_negative", {"create", "--preserve-fds=-1", kId}, "/c", [](RuncInvocation& e) {
    sub(e, S::kCreate, "create", {});
    e.bundle = "/c";
    uncertain(e, "out of range");
  });
  add("checkpoint_status_fd", {"checkpoint", "--status-fd", "3", "--empty-ns", "network", kId}, "/",
      [](RuncInvocation& e) { sub(e, S::kCheckpoint, "checkpoint"); });
  add("events_interval_stats", {"events", "--interval", "5s", "--stats", kId}, "/",
      [](RuncInvocation& e) { sub(e, S::kEvents, "events"); });
  add("restore_full",
      {"restore", "--console-socket", "/s", "--pid-file", "/p", "--image-path", "/img", "--no-subreaper",
       "--bundle", "/b", kId},
      "/c", [](RuncInvocation& e) {
        sub(e, S::kRestore, "restore");
        e.bundle = "/b";
        e.pid_file = "/p";
        e.console_socket = "/s";
      });
  return v;
}

class ParseInvocation : public ::testing::TestWithParam<Case> {};

TEST_P(ParseInvocation, ReadsEveryField) {
  const Case& c = GetParam();
  RuncInvocation want;
  c.expect(want);
  const RuncInvocation got = parse_invocation(c.argv, c.cwd);
  const std::string d = testing::diff(want, got);
  EXPECT_TRUE(d.empty()) << "case " << c.name << " differs:\n" << d;
}

INSTANTIATE_TEST_SUITE_P(Cases, ParseInvocation, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

TEST(ParseInvocationSuite, HasEnoughCases) { EXPECT_GE(cases().size(), 70U); }

TEST(ParseInvocationSuite, CaseNamesAreUnique) {
  const std::vector<Case> all = cases();
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = i + 1; j < all.size(); ++j) EXPECT_NE(all[i].name, all[j].name);
  }
}

}  // namespace
}  // namespace isolcpus
