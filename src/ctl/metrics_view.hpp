// `runc-isolcpus-ctl metrics`: the node's state in Prometheus' text
// exposition format, for node-exporter's textfile collector.  Gathering
// (metrics.cpp) is kept apart from this pure rendering, so the exact text
// a scraper reads is unit-tested without a kernel.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/cpuset.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/tuning.hpp"

namespace isolcpus {

struct KnobAvailability {
  Knob knob = Knob::kCpuQuota;
  bool available = false;
};

struct MetricsInput {
  CpuSet online;
  std::size_t isolated_cpus = 0;       // status' count: CPUs isolated by containers, per the ledger
  std::size_t boot_isolated_cpus = 0;  // online CPUs isolated at boot (isolcpus=)
  std::size_t problems = 0;            // the count status reports
  std::vector<LedgerEntry> entries;
  std::vector<Knob> honoured;  // config.knobs
  // One per honoured knob, from Tuner::unavailable; unset when the tuner
  // could not be made (the series are then left out, not reported as 0).
  std::optional<std::vector<KnobAvailability>> availability;
  // When `runc-isolcpus-ctl reconcile` last completed (unix seconds); unset
  // when it never did since boot (the series is then left out).
  std::optional<std::size_t> last_reconcile;
};

// A label value as the exposition format wants it: backslash, double quote
// and newline escaped (\\, \", \n).
std::string escape_label_value(std::string_view value);

// Pure.  Every metric with its HELP and TYPE lines, names prefixed
// runc_isolcpus_; a labelled metric lists every value of its label (0s
// included), so a series never vanishes while the command works.
std::string render_metrics(const MetricsInput& in);

}  // namespace isolcpus
