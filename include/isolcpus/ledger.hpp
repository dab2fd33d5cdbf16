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
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {

enum class EntryState {
  kDecided,    // create decided to isolate; nothing in the kernel yet
  kIsolating,  // plan persisted, kernel writes under way (a crash here is undone)
  kIsolated,   // kernel changes complete
  kReleasing,  // release under way (a crash here is completed)
};
std::string_view to_string(EntryState s);

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

  [[nodiscard]] bool same_container(std::string_view root, std::string_view id) const {
    return runc_root == root && container_id == id;
  }
  friend bool operator==(const LedgerEntry&, const LedgerEntry&) = default;
};

struct LedgerData {
  std::vector<LedgerEntry> entries;
  V1NodeRecord v1;
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

  LedgerEntry* find(std::string_view root, std::string_view id);

 private:
  Ledger(std::filesystem::path dir, UniqueFd lock, LedgerData data);
  std::filesystem::path dir_;
  UniqueFd lock_;
  LedgerData data_;
};

// Read-only snapshot without taking the lock (for status); may be a moment stale.
Expected<LedgerData> read_ledger_snapshot(const std::filesystem::path& state_dir);

}  // namespace isolcpus
