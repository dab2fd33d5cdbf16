// The runc command-line grammar as data: every global flag and every
// subcommand of runc 1.1-1.5 (plus crun's extra global flags), read from
// runc's own sources.  The parser (parse_invocation.cpp) is generic over these
// tables, so a new runc flag is one line here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "isolcpus/parse_invocation.hpp"

namespace isolcpus::cli {

// urfave/cli v1 flag types, as far as they change how argv is read.
enum class FlagKind : std::uint8_t {
  kBool,         // never consumes the next token; `=v` goes through strconv.ParseBool
  kString,       // `=v` or the next token, unconditionally
  kInt,          // like kString, and the value must parse as a Go int (base 0)
  kStringSlice,  // repeatable string
  kIntSlice,     // repeatable, each value a Go int64
  kDuration,     // Go time.Duration; kept as text (only `runc events` has one)
};

constexpr bool takes_value(FlagKind k) { return k != FlagKind::kBool; }
constexpr bool repeatable(FlagKind k) { return k == FlagKind::kStringSlice || k == FlagKind::kIntSlice; }

// Which RuncInvocation field a flag feeds; kNone = accepted but not needed.
enum class FlagTarget : std::uint8_t {
  kNone,
  kRoot,
  kLog,
  kLogFormat,
  kSystemdCgroup,
  kCgroupManager,  // crun: cgroupfs | systemd | disabled
  kRootless,       // runc: true|false|auto, ignored; crun 1.8.1: another --root
  kDebug,
  kVersion,
  kHelp,
  kBundle,
  kPidFile,
  kConsoleSocket,
  kPreserveFds,
  kForce,
  kDetach,
  kResources,
  kCpusetCpus,
};

struct FlagSpec {
  std::string_view name;   // long name, no dashes
  std::string_view alias;  // short alias ("b" for --bundle) or empty
  FlagKind kind;
  FlagTarget target;
};

inline constexpr std::uint8_t kUnlimitedArgs = 0xff;

struct SubcommandSpec {
  std::string_view name;
  std::string_view alias;  // only `help` has one (`h`)
  Subcommand id;
  std::span<const FlagSpec> flags;  // without the --help/-h urfave adds to every command
  // urfave/cli moves flags written after positionals in front of them, except
  // for commands with SkipArgReorder (exec, ps), whose trailing words belong
  // to the process or to ps(1).
  bool reorders;
  std::uint8_t min_args;
  std::uint8_t max_args;  // kUnlimitedArgs = no upper bound
  bool takes_container_id;
};

// Tables never hold more flags than this (a fixed array tracks which names
// of each flag were used).
inline constexpr std::size_t kMaxFlagsPerTable = 32;

std::span<const FlagSpec> global_flags();
std::span<const SubcommandSpec> subcommands();

// nullptr when `name` is no runc subcommand (matches names and aliases).
const SubcommandSpec* find_subcommand(std::string_view name);

struct FlagHit {
  const FlagSpec* spec = nullptr;  // nullptr = not defined
  std::size_t index = 0;           // position in the table; table.size() = the implicit help flag
  bool via_alias = false;
};

// Looks a flag name (no dashes, no `=value`) up in a subcommand's table and
// then in the --help/-h flag urfave appends to every subcommand.
FlagHit find_subcommand_flag(std::span<const FlagSpec> table, std::string_view name);

// Looks a name up in the global table (which holds help and version itself).
FlagHit find_global_flag(std::string_view name);

}  // namespace isolcpus::cli
