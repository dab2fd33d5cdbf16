#include "runc_grammar.hpp"

namespace isolcpus::cli {
namespace {

using enum FlagKind;
using T = FlagTarget;

// Global flags of runc 1.1-1.5 (main.go) plus the two crun adds.  urfave/cli
// appends help and version to the application's flags itself.
constexpr FlagSpec kGlobalFlags[] = {
    {"debug", "", kBool, T::kDebug},
    {"log", "", kString, T::kLog},
    {"log-format", "", kString, T::kLogFormat},
    {"root", "", kString, T::kRoot},
    {"systemd-cgroup", "", kBool, T::kSystemdCgroup},
    {"rootless", "", kString, T::kRootless},             // true|false|auto; a bool only under `spec`
    {"criu", "", kString, T::kNone},                     // runc 1.1 (ignored in 1.2-1.3)
    {"cgroup-manager", "", kString, T::kCgroupManager},  // crun
    {"log-level", "", kString, T::kNone},                // crun 1.9+
    {"help", "h", kBool, T::kHelp},
    {"version", "v", kBool, T::kVersion},
};

constexpr FlagSpec kCreateFlags[] = {
    {"bundle", "b", kString, T::kBundle},        {"console-socket", "", kString, T::kConsoleSocket},
    {"pidfd-socket", "", kString, T::kNone},     {"pid-file", "", kString, T::kPidFile},
    {"no-pivot", "", kBool, T::kNone},           {"no-new-keyring", "", kBool, T::kNone},
    {"preserve-fds", "", kInt, T::kPreserveFds},
};

constexpr FlagSpec kRunFlags[] = {
    {"bundle", "b", kString, T::kBundle},    {"console-socket", "", kString, T::kConsoleSocket},
    {"pidfd-socket", "", kString, T::kNone}, {"detach", "d", kBool, T::kDetach},
    {"keep", "", kBool, T::kNone},           {"pid-file", "", kString, T::kPidFile},
    {"no-subreaper", "", kBool, T::kNone},   {"no-pivot", "", kBool, T::kNone},
    {"no-new-keyring", "", kBool, T::kNone}, {"preserve-fds", "", kInt, T::kPreserveFds},
};

constexpr FlagSpec kDeleteFlags[] = {
    {"force", "f", kBool, T::kForce},
};

constexpr FlagSpec kKillFlags[] = {
    {"all", "a", kBool, T::kNone},
};

constexpr FlagSpec kExecFlags[] = {
    {"console-socket", "", kString, T::kConsoleSocket},
    {"pidfd-socket", "", kString, T::kNone},
    {"cwd", "", kString, T::kNone},
    {"env", "e", kStringSlice, T::kNone},
    {"tty", "t", kBool, T::kNone},
    {"user", "u", kString, T::kNone},
    {"additional-gids", "g", kIntSlice, T::kNone},
    {"process", "p", kString, T::kNone},
    {"detach", "d", kBool, T::kDetach},
    {"pid-file", "", kString, T::kPidFile},
    {"process-label", "", kString, T::kNone},
    {"apparmor", "", kString, T::kNone},
    {"no-new-privs", "", kBool, T::kNone},
    {"cap", "c", kStringSlice, T::kNone},
    {"preserve-fds", "", kInt, T::kPreserveFds},
    {"cgroup", "", kStringSlice, T::kNone},
    {"ignore-paused", "", kBool, T::kNone},
};

constexpr FlagSpec kUpdateFlags[] = {
    {"resources", "r", kString, T::kResources},
    {"blkio-weight", "", kInt, T::kNone},
    {"cpu-period", "", kString, T::kNone},
    {"cpu-quota", "", kString, T::kNone},
    {"cpu-burst", "", kString, T::kNone},
    {"cpu-share", "", kString, T::kNone},
    {"cpu-rt-period", "", kString, T::kNone},
    {"cpu-rt-runtime", "", kString, T::kNone},
    {"cpuset-cpus", "", kString, T::kCpusetCpus},
    {"cpuset-mems", "", kString, T::kNone},
    {"kernel-memory", "", kString, T::kNone},      // hidden
    {"kernel-memory-tcp", "", kString, T::kNone},  // hidden
    {"memory", "", kString, T::kNone},
    {"cpu-idle", "", kString, T::kNone},
    {"memory-reservation", "", kString, T::kNone},
    {"memory-swap", "", kString, T::kNone},
    {"pids-limit", "", kInt, T::kNone},
    {"l3-cache-schema", "", kString, T::kNone},
    {"mem-bw-schema", "", kString, T::kNone},
};

constexpr FlagSpec kCheckpointFlags[] = {
    {"image-path", "", kString, T::kNone},
    {"work-path", "", kString, T::kNone},
    {"parent-path", "", kString, T::kNone},
    {"leave-running", "", kBool, T::kNone},
    {"tcp-established", "", kBool, T::kNone},
    {"tcp-skip-in-flight", "", kBool, T::kNone},
    {"link-remap", "", kBool, T::kNone},
    {"ext-unix-sk", "", kBool, T::kNone},
    {"shell-job", "", kBool, T::kNone},
    {"lazy-pages", "", kBool, T::kNone},
    {"status-fd", "", kInt, T::kNone},
    {"page-server", "", kString, T::kNone},
    {"file-locks", "", kBool, T::kNone},
    {"pre-dump", "", kBool, T::kNone},
    {"manage-cgroups-mode", "", kString, T::kNone},
    {"empty-ns", "", kStringSlice, T::kNone},
    {"auto-dedup", "", kBool, T::kNone},
};

constexpr FlagSpec kRestoreFlags[] = {
    {"console-socket", "", kString, T::kConsoleSocket},
    {"image-path", "", kString, T::kNone},
    {"work-path", "", kString, T::kNone},
    {"tcp-established", "", kBool, T::kNone},
    {"ext-unix-sk", "", kBool, T::kNone},
    {"shell-job", "", kBool, T::kNone},
    {"file-locks", "", kBool, T::kNone},
    {"manage-cgroups-mode", "", kString, T::kNone},
    {"bundle", "b", kString, T::kBundle},
    {"detach", "d", kBool, T::kDetach},
    {"pid-file", "", kString, T::kPidFile},
    {"no-subreaper", "", kBool, T::kNone},
    {"no-pivot", "", kBool, T::kNone},
    {"empty-ns", "", kStringSlice, T::kNone},
    {"auto-dedup", "", kBool, T::kNone},
    {"lazy-pages", "", kBool, T::kNone},
    {"lsm-profile", "", kString, T::kNone},
    {"lsm-mount-context", "", kString, T::kNone},
};

constexpr FlagSpec kPsFlags[] = {
    {"format", "f", kString, T::kNone},
};

constexpr FlagSpec kListFlags[] = {
    {"format", "f", kString, T::kNone},
    {"quiet", "q", kBool, T::kNone},
};

constexpr FlagSpec kEventsFlags[] = {
    {"interval", "", kDuration, T::kNone},
    {"stats", "", kBool, T::kNone},
};

// `spec --bundle` only says where config.json is written; RuncInvocation::bundle
// is kept for the commands that run a container from a bundle.
constexpr FlagSpec kSpecFlags[] = {
    {"bundle", "b", kString, T::kNone},
    {"rootless", "", kBool, T::kNone},
};

constexpr std::span<const FlagSpec> kNoFlags{};

constexpr std::uint8_t kAny = kUnlimitedArgs;

// min/max positionals mirror runc's checkArgs calls (exactArgs/minArgs/maxArgs).
// `init` never gets here: runc handles `runc init` before urfave/cli runs.
constexpr SubcommandSpec kSubcommands[] = {
    {"checkpoint", "", Subcommand::kCheckpoint, kCheckpointFlags, true, 1, 1, true},
    {"create", "", Subcommand::kCreate, kCreateFlags, true, 1, 1, true},
    {"delete", "", Subcommand::kDelete, kDeleteFlags, true, 1, 1, true},
    {"events", "", Subcommand::kEvents, kEventsFlags, true, 1, 1, true},
    {"exec", "", Subcommand::kExec, kExecFlags, false, 1, kAny, true},
    {"features", "", Subcommand::kFeatures, kNoFlags, true, 0, 0, false},
    {"help", "h", Subcommand::kHelp, kNoFlags, true, 0, kAny, false},
    {"kill", "", Subcommand::kKill, kKillFlags, true, 1, 2, true},
    {"list", "", Subcommand::kList, kListFlags, true, 0, 0, false},
    {"pause", "", Subcommand::kPause, kNoFlags, true, 1, 1, true},
    {"ps", "", Subcommand::kPs, kPsFlags, false, 1, kAny, true},
    {"restore", "", Subcommand::kRestore, kRestoreFlags, true, 1, 1, true},
    {"resume", "", Subcommand::kResume, kNoFlags, true, 1, 1, true},
    {"run", "", Subcommand::kRun, kRunFlags, true, 1, 1, true},
    {"spec", "", Subcommand::kSpec, kSpecFlags, true, 0, 0, false},
    {"start", "", Subcommand::kStart, kNoFlags, true, 1, 1, true},
    {"state", "", Subcommand::kState, kNoFlags, true, 1, 1, true},
    {"update", "", Subcommand::kUpdate, kUpdateFlags, true, 1, 1, true},
};

// urfave/cli appends this to every subcommand's flags.
constexpr FlagSpec kHelpFlag{"help", "h", kBool, T::kHelp};

constexpr bool fits(std::span<const FlagSpec> table) { return table.size() < kMaxFlagsPerTable; }
static_assert(fits(kGlobalFlags) && fits(kCreateFlags) && fits(kRunFlags) && fits(kExecFlags) &&
              fits(kUpdateFlags) && fits(kCheckpointFlags) && fits(kRestoreFlags));

FlagHit find_in(std::span<const FlagSpec> table, std::string_view name) {
  if (name.empty()) return {};
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].name == name) return {&table[i], i, false};
    if (!table[i].alias.empty() && table[i].alias == name) return {&table[i], i, true};
  }
  return {};
}

}  // namespace

std::span<const FlagSpec> global_flags() { return kGlobalFlags; }

std::span<const SubcommandSpec> subcommands() { return kSubcommands; }

const SubcommandSpec* find_subcommand(std::string_view name) {
  for (const SubcommandSpec& s : kSubcommands) {
    if (s.name == name || (!s.alias.empty() && s.alias == name)) return &s;
  }
  return nullptr;
}

FlagHit find_subcommand_flag(std::span<const FlagSpec> table, std::string_view name) {
  FlagHit hit = find_in(table, name);
  if (hit.spec != nullptr) return hit;
  if (name == kHelpFlag.name) return {&kHelpFlag, table.size(), false};
  if (name == kHelpFlag.alias) return {&kHelpFlag, table.size(), true};
  return {};
}

FlagHit find_global_flag(std::string_view name) { return find_in(kGlobalFlags, name); }

}  // namespace isolcpus::cli
