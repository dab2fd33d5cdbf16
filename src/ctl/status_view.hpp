// `runc-isolcpus-ctl status`: the node's CPU map.  Gathering (status.cpp)
// is kept apart from the pure model and rendering here, so the picture an
// operator sees is unit-tested without a kernel.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/cpuset.hpp"
#include "isolcpus/ledger.hpp"

namespace isolcpus {

// Everything status knows, gathered from the host.
struct StatusInput {
  std::string cgroup_mode;  // "v1", "v2", "none"
  std::string isolator;     // isolator name, "" when none could be made
  std::string kernel;       // uname -r
  std::string state_dir;
  CpuSet online;
  CpuSet boot_isolated;
  std::optional<CpuSet> kernel_isolated;  // unset: the kernel's view could not be read
  std::vector<LedgerEntry> entries;
  // Why the kernel balances a CPU (paths to files), for CPUs it balances.
  std::map<unsigned, std::vector<std::string>> culprits;
  std::vector<std::string> notes;  // problems met while gathering
  // Isolations the kernel does not hold as recorded (v2: a partition that
  // reads "isolated invalid (...)"), each naming the file.  Counted.
  std::vector<std::string> problems;
  // What each file a tuning changed reads now ("?" when unreadable), and
  // what the holders together want it to read.
  std::map<std::string, std::string> tuning_reads;
  std::map<std::string, std::string> tuning_wants;
  std::set<std::string> tuning_drifted;  // files that no longer give their holders what they asked
};

struct CpuRow {
  unsigned cpu = 0;
  std::string state;   // balanced, isolated, boot-isolated, decided, isolating, releasing
  std::string kernel;  // balanced, isolated, unknown
  const LedgerEntry* owner = nullptr;
  std::vector<std::string> tunings;   // "cpu-c-states=disable (.../pm_qos_resume_latency_us: n/a)"
  std::vector<std::string> problems;  // each a sentence naming the file to look at
};

struct StatusView {
  std::vector<CpuRow> rows;
  std::size_t isolated = 0;  // by containers, per the ledger
  std::size_t tuned = 0;     // CPUs of containers holding tunings
  std::size_t boot_isolated = 0;
  std::size_t balanced = 0;
  std::size_t problems = 0;
};

// What an entry's state says is wrong (docs/INVARIANTS.md I2, I4): a
// release the kernel refused in part, or a running container that lost its
// isolation and is waiting to get it back.  Shared by status and check.
std::optional<std::string> entry_problem(const LedgerEntry& e);

// Pure.  Rows point into `in.entries`.
StatusView build_status(const StatusInput& in);

std::string format_utc(std::int64_t unix_seconds);
std::string format_age(std::int64_t seconds);

// Pure renderers.  `now` is unix seconds, for "since" ages.
std::string render_status_text(const StatusInput& in, const StatusView& view, std::int64_t now);
std::string render_status_json(const StatusInput& in, const StatusView& view, std::int64_t now);

}  // namespace isolcpus
