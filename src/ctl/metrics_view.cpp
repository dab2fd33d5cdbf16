#include "metrics_view.hpp"

#include <algorithm>
#include <array>

namespace isolcpus {
namespace {

constexpr std::string_view kPrefix = "runc_isolcpus_";
constexpr std::array kStates = {EntryState::kDecided, EntryState::kIsolating, EntryState::kIsolated,
                                EntryState::kReleasing};

// One sample of a family: its label set, already rendered ("" = none).
struct Sample {
  std::string labels;
  std::size_t value = 0;
};

std::string label(std::string_view key, std::string_view value) {
  return std::string(key) + "=\"" + escape_label_value(value) + "\"";
}

// Every family here is a gauge: each value is the node's state now, read
// afresh on every run, never a count since some start.
void family(std::string& out, std::string_view name, std::string_view help,
            const std::vector<Sample>& samples) {
  const std::string full = std::string(kPrefix) + std::string(name);
  out += "# HELP " + full + " " + std::string(help) + "\n";
  out += "# TYPE " + full + " gauge\n";
  for (const auto& s : samples) {
    out += full + (s.labels.empty() ? "" : "{" + s.labels + "}") + " " + std::to_string(s.value) + "\n";
  }
}

void single(std::string& out, std::string_view name, std::string_view help, std::size_t value) {
  family(out, name, help, {Sample{"", value}});
}

bool has_tuning(const LedgerEntry& e, Knob knob) {
  return std::any_of(e.tunings.begin(), e.tunings.end(), [&](const Tuning& t) { return t.knob == knob; });
}

// Per knob: the containers whose tuning of it is in place (state isolated:
// the kernel changes are complete), and the CPUs they run on.
void tuning_families(std::string& out, const std::vector<LedgerEntry>& entries) {
  std::vector<Sample> containers;
  std::vector<Sample> cpus;
  for (const Knob knob : kAllKnobs) {
    std::size_t holders = 0;
    CpuSet tuned;
    for (const auto& e : entries) {
      if (e.state == EntryState::kIsolated && has_tuning(e, knob)) {
        ++holders;
        tuned |= e.cpus;
      }
    }
    containers.push_back({label("knob", knob_name(knob)), holders});
    cpus.push_back({label("knob", knob_name(knob)), tuned.count()});
  }
  family(out, "containers_with_tuning",
         "Containers whose tuning of this knob is in place (ledger state isolated).", containers);
  family(out, "tuned_cpus", "CPUs of the containers whose tuning of this knob is in place.", cpus);
}

void knob_families(std::string& out, const MetricsInput& in) {
  std::vector<Sample> honoured;
  for (const Knob knob : kAllKnobs) {
    const bool on = std::find(in.honoured.begin(), in.honoured.end(), knob) != in.honoured.end();
    honoured.push_back({label("knob", knob_name(knob)), on ? 1U : 0U});
  }
  family(out, "knob_honoured",
         "1 if the config key knobs names this knob, else 0 (its annotation is ignored).", honoured);
  if (!in.availability) {
    return;  // unknown is no series, not a 0 an alert would take for a fact
  }
  std::vector<Sample> available;
  for (const auto& a : *in.availability) {
    available.push_back({label("knob", knob_name(a.knob)), a.available ? 1U : 0U});
  }
  family(out, "knob_available",
         "1 if this node can honour this knob on every online CPU, else 0 (honoured knobs only).", available);
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_metrics(const MetricsInput& in) {
  std::string out;
  single(out, "online_cpus", "CPUs online on this node.", in.online.count());
  single(out, "isolated_cpus", "Online CPUs isolated by containers, per the ledger.", in.isolated_cpus);
  single(out, "boot_isolated_cpus", "Online CPUs isolated at boot (isolcpus=), never handed out.",
         in.boot_isolated_cpus);
  single(out, "ledger_entries", "Containers recorded in the ledger, in any state.", in.entries.size());
  std::vector<Sample> states;
  for (const EntryState state : kStates) {
    const auto n = std::count_if(in.entries.begin(), in.entries.end(),
                                 [&](const LedgerEntry& e) { return e.state == state; });
    states.push_back({label("state", to_string(state)), static_cast<std::size_t>(n)});
  }
  family(out, "containers", "Containers in the ledger by state.", states);
  tuning_families(out, in.entries);
  single(out, "problems", "Problems runc-isolcpus-ctl status reports (its exit status is 2 when not 0).",
         in.problems);
  knob_families(out, in);
  if (in.last_reconcile) {
    single(out, "last_reconcile_timestamp_seconds",
           "When runc-isolcpus-ctl reconcile (the minute timer) last completed, unix seconds.",
           *in.last_reconcile);
  }
  return out;
}

}  // namespace isolcpus
