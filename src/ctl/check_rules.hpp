// `runc-isolcpus-ctl check`: node preflight.  check.cpp gathers plain facts;
// the rules here turn them into findings, each with a severity and the fix.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "isolcpus/config.hpp"
#include "isolcpus/cpuset_facts.hpp"
#include "isolcpus/host_probe.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/tuning.hpp"
#include "tuning_readings.hpp"

namespace isolcpus {

enum class Severity { kOk, kInfo, kWarn, kError };  // kError blocks isolation
std::string_view to_string(Severity s);

struct Finding {
  Severity severity = Severity::kOk;
  std::string topic;  // short: "cgroup", "kernel", "runtime", ...
  std::string what;   // what was found, naming files
  std::string fix;    // what to do ("" for kOk)
};

struct StateDirFacts {
  bool exists = false;
  bool is_dir = false;
  unsigned uid = 0;
  unsigned mode = 0;  // permission bits
};

// What Tuner::unavailable says of one knob the config honours, on every
// online CPU: "" when this node can honour it, else why not.
struct KnobReadiness {
  Knob knob = Knob::kCpuQuota;
  std::string unavailable;
};

// How irqbalance can be told the CPUs IRQ tunings hold.
struct IrqBalanceFacts {
  std::string binary;                // "" when not installed
  bool reads_list = false;           // IRQBALANCE_BANNED_CPULIST
  bool reads_mask_only = false;      // only the old IRQBALANCE_BANNED_CPUS
  std::vector<std::string> sockets;  // runtime sockets found
  std::optional<std::string> config_file;
};

struct CheckFacts {
  // config
  std::string config_path;
  bool config_found = false;
  std::vector<std::string> config_problems;
  Config config;
  // host
  std::optional<std::string> probe_error;
  HostFacts host;
  CpusetFacts cpuset;  // the hierarchy, when a cpuset controller is mounted
  // runtime
  std::optional<std::string> runtime;  // the real runtime found
  std::string runtime_error;
  StateDirFacts state_dir;
  // ledger: what its entries say is wrong (status_view's entry_problem)
  std::vector<std::string> ledger_problems;
  std::optional<std::string> ledger_error;  // unreadable ledger
  // tunings: one per knob in config.knobs, in that order (empty when the
  // host could not be probed or the tuner not made: tuner_error says why)
  std::vector<KnobReadiness> knobs;
  std::optional<std::string> tuner_error;
  IrqBalanceFacts irqbalance;
};

// Pure.  What status calls drift: a file a tuning of an isolated entry
// changed that no longer gives its holders what they asked
// (readings.drifted, as read_tunings gathers it).  One sentence per
// file, naming every container holding it, for CheckFacts::ledger_problems.
std::vector<std::string> tuning_drift(const std::vector<LedgerEntry>& entries,
                                      const TuningReadings& readings);

std::vector<Finding> evaluate_checks(const CheckFacts& facts);
bool blocks_isolation(const std::vector<Finding>& findings);

std::string render_findings_text(const std::vector<Finding>& findings);
std::string render_findings_json(const std::vector<Finding>& findings);

}  // namespace isolcpus
