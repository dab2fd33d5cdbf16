// runc-isolcpus: parse argv -> (read spec -> decide -> isolate -> record) ->
// exec runc.  Read-only subcommands go straight to the exec; the rest first
// pass through src/lifecycle.  The operator's tool is a separate binary,
// runc-isolcpus-ctl (src/main_ctl.cpp).
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "isolcpus/caller_log.hpp"
#include "isolcpus/config.hpp"
#include "isolcpus/ctl_main.hpp"  // kCtlName only
#include "isolcpus/dispatch.hpp"
#include "isolcpus/exec_runtime.hpp"
#include "isolcpus/exit_like_runtime.hpp"
#include "isolcpus/locate_runtime.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/parse_invocation.hpp"

namespace {

using namespace isolcpus;

std::string_view basename_of(const char* path) {
  std::string_view s = path == nullptr ? "" : path;
  const auto slash = s.rfind('/');
  return slash == std::string_view::npos ? s : s.substr(slash + 1);
}

// runc exits 1 on its own failures, except `exec`, whose caller reads 255 as
// "the process could not be started".
int failure_status(const RuncInvocation& inv) { return inv.subcommand == Subcommand::kExec ? 255 : 1; }

// Our log for this call: every line names the subcommand and container.
Log call_log(const ConfigLoad& loaded, const RuncInvocation& inv) {
  std::string context(inv.subcommand_name);
  if (inv.container_id) {
    context += ' ';
    context += *inv.container_id;
  }
  return Log(loaded.config, std::move(context), inv.container_id.value_or(""));
}

// Everything before the exec for subcommands that act on the host.  Our log
// is closed (flushed) on return, before a possible death by signal.
Outcome act_on_host(const RuncInvocation& inv, const ConfigLoad& loaded, const std::string& runtime, int argc,
                    char** argv) {
  Log log = call_log(loaded, inv);
  const Config config = effective_config(loaded);
  for (const auto& problem : loaded.problems) {
    log.error(problem);
    append_caller_log(inv, "warning", "runc-isolcpus config: " + problem);
  }
  Call call{inv, config, log, runtime, argc, argv};
  return handle_call(call);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 0 && basename_of(argv[0]) == kCtlName) {
    // A symlink from the old single-binary layout: say so rather than hand
    // `status` or `check` to runc.
    static constexpr std::string_view kMsg =
        "runc-isolcpus: runc-isolcpus-ctl is a separate binary now; this link points at the wrapper\n";
    (void)!::write(STDERR_FILENO, kMsg.data(), kMsg.size());
    return 2;
  }
  std::vector<std::string_view> args;
  args.reserve(argc > 1 ? static_cast<std::size_t>(argc - 1) : 0U);
  for (int i = 1; i < argc; ++i) {
    args.emplace_back(argv[i]);
  }
  char cwd_buf[PATH_MAX];
  const std::string_view cwd = ::getcwd(cwd_buf, sizeof cwd_buf) != nullptr ? cwd_buf : "/";
  // Read as runc first: only whether the call needs host work matters before
  // the runtime is known, and crun's dialect differs in no subcommand.
  RuncInvocation inv = parse_invocation(args, cwd);

  const auto config_path = config_path_from_env();
  if (!needs_host_work(inv)) {
    // The hot path (state, ps, exec probes...): one key, no TOML parser.
    const RuntimeKey key = read_runtime_key(config_path);
    if (key.kind != RuntimeKey::Kind::kUnsure) {
      auto runtime = locate_runtime(key.path);
      if (runtime) {
        const Error failed = exec_runtime(*runtime, argc, argv);
        report_caller_error(inv, failed.message);
        return failure_status(inv);
      }
    }
  }

  const ConfigLoad loaded = load_config(config_path);
  auto runtime = locate_runtime(loaded.config.runtime);
  if (!runtime) {
    call_log(loaded, inv).error(runtime.error().message);
    report_caller_error(inv, runtime.error().message);
    return failure_status(inv);
  }

  if (const RuntimeKind kind = runtime_kind(*runtime); needs_host_work(inv) && kind != RuntimeKind::kRunc) {
    // crun keeps its state elsewhere (the default --root) and reads a few
    // global flags its own way.
    inv = parse_invocation(
        args, cwd, runtime_dialect(kind, std::getenv("XDG_RUNTIME_DIR")));  // NOLINT(concurrency-mt-unsafe)
  }
  if (needs_host_work(inv)) {
    const Outcome outcome = act_on_host(inv, loaded, *runtime, argc, argv);
    if (!outcome.exec_runtime) {
      return exit_like_runtime(outcome.exit_code);
    }
  }

  const Error failed = exec_runtime(*runtime, argc, argv);
  call_log(loaded, inv).error(failed.message);
  report_caller_error(inv, failed.message);
  return failure_status(inv);
}
