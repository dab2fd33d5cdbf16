// Ledger: the node-wide record of which container owns which isolated CPUs.
// One JSON document under state_dir, guarded by one flock, rewritten
// atomically (temp file, fsync, rename, fsync dir): a crash leaves either the
// old or the new document, never a torn one.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/cpuset.hpp"
#include "isolcpus/expected.hpp"
#include "isolcpus/isolation.hpp"
#include "isolcpus/tuning.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {

enum class EntryState {
  kDecided,    // create decided to isolate; nothing in the kernel yet
  kIsolating,  // plan persisted, kernel writes under way (a crash here is undone)
  kIsolated,   // kernel changes complete
  kReleasing,  // release under way or incomplete: `isolation` holds exactly what is left,
               // retried on every acting call until the kernel lets go
};
std::string_view to_string(EntryState s);

// Hook-mode ledger entries carry this instead of a runc --root, so they can
// never collide with the wrapper's entries for the same container id.  It
// is never read: a hook entry lives by its recorded process (init_pid and
// start ticks).  Absolute and under the default state_dir (root-owned,
// 0700), so even a version that does read it finds nothing anyone planted.
inline constexpr std::string_view kHookRoot = "/run/runc-isolcpus/hook";
// What 0.1 and 0.2 recorded instead: relative, so reading runc's state for
// it opened hook/<id>/state.json in whatever directory the reader ran in.
// The ledger reads it as kHookRoot.
inline constexpr std::string_view kLegacyHookRoot = "hook";

// A process, named so that a recycled PID is not mistaken for it.
struct ProcessRef {
  int pid = 0;
  std::uint64_t start_ticks = 0;  // /proc/PID/stat field 22
  [[nodiscard]] bool empty() const { return pid <= 0; }
  friend bool operator==(const ProcessRef&, const ProcessRef&) = default;
};

// A `runc update` that moves an entry's CPUs, recorded before the old set is
// released and cleared once the new one is isolated.  While the wrapper or
// its runc child lives the update is in flight; once both are gone,
// reconcile reads the container's cpuset.cpus to learn which set won.
struct UpdateInFlight {
  CpuSet from;
  CpuSet to;
  std::string cgroup;  // where the old set was isolated ("" = not started yet)
  ProcessRef wrapper;
  ProcessRef child;
  bool refused = false;  // the new set failed the guardrails ("warn" let runc go on)
  friend bool operator==(const UpdateInFlight&, const UpdateInFlight&) = default;
};

struct LedgerEntry {
  std::string runc_root;  // absolute --root
  std::string container_id;
  EntryState state = EntryState::kDecided;
  CpuSet cpus;
  std::string bundle;
  std::string cgroups_path;  // linux.cgroupsPath from config.json
  bool systemd_cgroup = false;
  std::string pod_namespace;
  std::string pod_name;
  std::string container_name;
  std::int64_t decided_at = 0;         // unix seconds
  std::int64_t isolated_at = 0;        // unix seconds, 0 until isolated
  int init_pid = 0;                    // for liveness checks once started
  std::uint64_t init_start_ticks = 0;  // /proc/PID/stat field 22, guards PID reuse
  std::optional<Isolation> isolation;  // set from kIsolating on
  // Added in 0.2 (absent in older ledgers, which read as empty):
  ProcessRef creator;                    // the wrapper that decided, which becomes `runc create`
  std::optional<UpdateInFlight> update;  // a `runc update` under way
  std::vector<std::string> problems;     // what the last release could not undo, naming files
  // Added in 0.3 (absent in older ledgers: load balancing only):
  bool cpuset_isolation = true;              // load balancing off (false: tunings only)
  std::vector<Tuning> tunings;               // what the pod asked of the other knobs
  std::vector<TuningChange> tuning_changes;  // set from kIsolating on, like `isolation`

  [[nodiscard]] bool same_container(std::string_view root, std::string_view id) const {
    return runc_root == root && container_id == id;
  }
  friend bool operator==(const LedgerEntry&, const LedgerEntry&) = default;
};

struct LedgerData {
  std::vector<LedgerEntry> entries;
  V1NodeRecord v1;
  // The ban list last given to irqbalance, with the sockets that took it
  // ("<socket> ...=<cpus>"): told again only when either changes, because
  // irqbalance serves its socket one connection per loop and a burst of
  // pods must not fill its backlog.
  std::string irqbalance_told;
  friend bool operator==(const LedgerData&, const LedgerData&) = default;
};

// Pure (de)serialisation, so the format is unit-tested on its own.
std::string serialize_ledger(const LedgerData& data);
Expected<LedgerData> parse_ledger(std::string_view json_text, std::string_view origin);

// An open, locked ledger.  The lock is held for the object's lifetime.
class Ledger {
 public:
  // Creates state_dir (0700) if missing; refuses a state_dir that is not a
  // directory owned by root with mode 0700 (another user could forge
  // entries).  Waits at most `timeout` for the lock.
  static Expected<Ledger> open(const std::filesystem::path& state_dir, std::chrono::milliseconds timeout);

  LedgerData& data() { return data_; }
  [[nodiscard]] const LedgerData& data() const { return data_; }
  Expected<void> commit();
  // Benchmarks: with $RUNC_ISOLCPUS_LOCK_TRACE naming a file, each release of
  // the lock appends "pid=P held_us=N waited_us=M call=LABEL".
  void set_trace_label(std::string label) { trace_label_ = std::move(label); }
  ~Ledger();
  Ledger(Ledger&& other) noexcept;
  Ledger& operator=(Ledger&&) = delete;
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  LedgerEntry* find(std::string_view root, std::string_view id);

 private:
  Ledger(std::filesystem::path dir, UniqueFd lock, LedgerData data);
  std::filesystem::path dir_;
  UniqueFd lock_;
  LedgerData data_;
  std::chrono::steady_clock::time_point locked_at_{};
  std::chrono::microseconds waited_{};
  std::string trace_label_;
};

// Read-only snapshot without taking the lock (for status); may be a moment stale.
Expected<LedgerData> read_ledger_snapshot(const std::filesystem::path& state_dir);

}  // namespace isolcpus
