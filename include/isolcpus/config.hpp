// Config: the node operator's settings, from a TOML file
// (/etc/runc-isolcpus/config.toml, or $RUNC_ISOLCPUS_CONFIG).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/cpuset.hpp"
#include "isolcpus/tuning.hpp"

namespace isolcpus {

inline constexpr std::string_view kDefaultConfigPath = "/etc/runc-isolcpus/config.toml";
inline constexpr std::string_view kConfigEnv = "RUNC_ISOLCPUS_CONFIG";

enum class Mode { kAnnotation, kAlways, kNever };
enum class OnFailure { kFail, kWarn };

struct Config {
  // Absolute path of the real runtime; empty = search the safe directory list.
  std::string runtime;

  std::string log_file = "/var/log/runc-isolcpus.log";
  std::string log_level = "info";  // trace|debug|info|warn|error|off
  std::uint64_t log_max_bytes = std::uint64_t{4} * 1024 * 1024;
  unsigned log_max_files = 2;
  // Where our log goes: the file above, or the systemd journal (native
  // protocol, with the container id as a field of its own).
  bool log_to_journal = false;

  Mode mode = Mode::kAnnotation;
  OnFailure on_failure = OnFailure::kFail;

  // Guardrails.  Empty allowed_namespaces = every namespace.
  std::vector<std::string> allowed_namespaces;
  std::optional<CpuSet> isolatable_cpus;  // unset = any online CPU
  unsigned min_housekeeping_cpus = 2;     // a one-CPU domain is dropped by the kernel
  // The knobs besides load balancing this node honours (CRI-O's annotations);
  // an annotation of another knob is ignored with a warning.
  std::vector<Knob> knobs = {Knob::kCpuQuota, Knob::kIrqLoadBalancing, Knob::kCStates, Knob::kGovernor};

  std::string state_dir = "/run/runc-isolcpus";
  std::chrono::milliseconds lock_timeout{10000};

  // Where the host's /sys and /proc are; tests point it at a fake tree.
  std::string host_root = "/";
  // cgroup v1: may the wrapper set the root cpuset's sched_load_balance to 0?
  bool v1_manage_root_flag = true;
};

struct ConfigLoad {
  Config config;
  std::filesystem::path path;
  bool found = false;
  // Each problem names the file, the line and the key, and says what to do.
  // Any problem means the file's policy was not applied: `config` holds the
  // defaults, except the keys that say where things are (runtime, state_dir,
  // host_root, log_*, lock_timeout_ms, v1_manage_root_flag), kept when they
  // themselves are valid.  Callers then isolate nothing new.
  std::vector<std::string> problems;
};

// Pure: parse TOML text.  `origin` is used in messages.
ConfigLoad parse_config(std::string_view toml_text, const std::filesystem::path& origin);

// Pure: the Config every caller acts on.  A file with problems means
// "isolate nothing new": a typo must neither take the node's containers
// down nor isolate on a guess, so mode reads `never` (what the ledger holds
// is still released).
Config effective_config(const ConfigLoad& loaded);

// The pass-through path's one key, read without a TOML parser
// (src/config/runtime_key.cpp).  kFound only for the plain form
// `runtime = "/abs/path"` on its own line, in a file without tables or
// multi-line strings; kAbsent when no such key (or no file); kUnsure for
// anything else: then use load_config.
struct RuntimeKey {
  enum class Kind { kAbsent, kFound, kUnsure };
  Kind kind = Kind::kAbsent;
  std::string path;
};
RuntimeKey scan_runtime_key(std::string_view toml_text);
RuntimeKey read_runtime_key(const std::filesystem::path& path);

// Shell: path from $RUNC_ISOLCPUS_CONFIG or the default; missing file = defaults.
std::filesystem::path config_path_from_env();
ConfigLoad load_config(const std::filesystem::path& path);

}  // namespace isolcpus
