#include "../../../src/ctl/metrics_view.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace isolcpus {
namespace {

LedgerEntry entry(const char* id, EntryState state, const char* cpus, std::vector<Tuning> tunings) {
  LedgerEntry e;
  e.runc_root = "/run/runc";
  e.container_id = id;
  e.state = state;
  e.cpus = *CpuSet::parse(cpus);
  e.tunings = std::move(tunings);
  return e;
}

// Four CPUs, one boot-isolated; "web" settled with two tunings on 2-3,
// "db" decided with a governor not in place yet.
MetricsInput small_node() {
  MetricsInput in;
  in.online = CpuSet::range(0, 3);
  in.isolated_cpus = 2;
  in.boot_isolated_cpus = 1;
  in.problems = 1;
  in.entries = {
      entry("web", EntryState::kIsolated, "2-3", {{Knob::kCpuQuota, "disable"}, {Knob::kCStates, "disable"}}),
      entry("db", EntryState::kDecided, "1", {{Knob::kGovernor, "performance"}})};
  in.honoured = {Knob::kCpuQuota, Knob::kCStates, Knob::kGovernor};
  in.availability = std::vector<KnobAvailability>{
      {Knob::kCpuQuota, true}, {Knob::kCStates, true}, {Knob::kGovernor, false}};
  return in;
}

TEST(RenderMetrics, ExactTextForASmallNode) {
  EXPECT_EQ(render_metrics(small_node()),
            R"(# HELP runc_isolcpus_online_cpus CPUs online on this node.
# TYPE runc_isolcpus_online_cpus gauge
runc_isolcpus_online_cpus 4
# HELP runc_isolcpus_isolated_cpus Online CPUs isolated by containers, per the ledger.
# TYPE runc_isolcpus_isolated_cpus gauge
runc_isolcpus_isolated_cpus 2
# HELP runc_isolcpus_boot_isolated_cpus Online CPUs isolated at boot (isolcpus=), never handed out.
# TYPE runc_isolcpus_boot_isolated_cpus gauge
runc_isolcpus_boot_isolated_cpus 1
# HELP runc_isolcpus_ledger_entries Containers recorded in the ledger, in any state.
# TYPE runc_isolcpus_ledger_entries gauge
runc_isolcpus_ledger_entries 2
# HELP runc_isolcpus_containers Containers in the ledger by state.
# TYPE runc_isolcpus_containers gauge
runc_isolcpus_containers{state="decided"} 1
runc_isolcpus_containers{state="isolating"} 0
runc_isolcpus_containers{state="isolated"} 1
runc_isolcpus_containers{state="releasing"} 0
# HELP runc_isolcpus_containers_with_tuning Containers whose tuning of this knob is in place (ledger state isolated).
# TYPE runc_isolcpus_containers_with_tuning gauge
runc_isolcpus_containers_with_tuning{knob="cpu-quota"} 1
runc_isolcpus_containers_with_tuning{knob="irq-load-balancing"} 0
runc_isolcpus_containers_with_tuning{knob="cpu-c-states"} 1
runc_isolcpus_containers_with_tuning{knob="cpu-freq-governor"} 0
# HELP runc_isolcpus_tuned_cpus CPUs of the containers whose tuning of this knob is in place.
# TYPE runc_isolcpus_tuned_cpus gauge
runc_isolcpus_tuned_cpus{knob="cpu-quota"} 2
runc_isolcpus_tuned_cpus{knob="irq-load-balancing"} 0
runc_isolcpus_tuned_cpus{knob="cpu-c-states"} 2
runc_isolcpus_tuned_cpus{knob="cpu-freq-governor"} 0
# HELP runc_isolcpus_problems Problems runc-isolcpus-ctl status reports (its exit status is 2 when not 0).
# TYPE runc_isolcpus_problems gauge
runc_isolcpus_problems 1
# HELP runc_isolcpus_knob_honoured 1 if the config key knobs names this knob, else 0 (its annotation is ignored).
# TYPE runc_isolcpus_knob_honoured gauge
runc_isolcpus_knob_honoured{knob="cpu-quota"} 1
runc_isolcpus_knob_honoured{knob="irq-load-balancing"} 0
runc_isolcpus_knob_honoured{knob="cpu-c-states"} 1
runc_isolcpus_knob_honoured{knob="cpu-freq-governor"} 1
# HELP runc_isolcpus_knob_available 1 if this node can honour this knob on every online CPU, else 0 (honoured knobs only).
# TYPE runc_isolcpus_knob_available gauge
runc_isolcpus_knob_available{knob="cpu-quota"} 1
runc_isolcpus_knob_available{knob="cpu-c-states"} 1
runc_isolcpus_knob_available{knob="cpu-freq-governor"} 0
)");
}

struct EscapeRow {
  const char* name;
  const char* in;
  const char* out;
};

void PrintTo(const EscapeRow& r, std::ostream* os) { *os << r.name; }

class EscapeLabelValue : public ::testing::TestWithParam<EscapeRow> {};

TEST_P(EscapeLabelValue, AsTheExpositionFormatSays) {
  EXPECT_EQ(escape_label_value(GetParam().in), GetParam().out);
}

INSTANTIATE_TEST_SUITE_P(
    RenderMetrics, EscapeLabelValue,
    ::testing::Values(EscapeRow{"Empty", "", ""}, EscapeRow{"Plain", "cpu-quota", "cpu-quota"},
                      EscapeRow{"Backslash", R"(a\b)", R"(a\\b)"},
                      EscapeRow{"DoubleQuote", R"(say "hi")", R"(say \"hi\")"},
                      EscapeRow{"Newline", "two\nlines", R"(two\nlines)"},
                      EscapeRow{"BackslashN", R"(\n is not a newline)", R"(\\n is not a newline)"},
                      EscapeRow{"OtherBytesKept", "caf\xc3\xa9 {x=1}", "caf\xc3\xa9 {x=1}"}),
    [](const ::testing::TestParamInfo<EscapeRow>& row) { return std::string(row.param.name); });

// Every line is a HELP or TYPE comment or `name{labels} value`; every family
// has both comments before its samples; every metric is there.
TEST(RenderMetrics, EveryMetricPresentAndParseable) {
  const std::regex help(R"(# HELP (runc_isolcpus_[a-z_]+) [^\n]+)");
  const std::regex type(R"(# TYPE (runc_isolcpus_[a-z_]+) gauge)");
  const std::regex sample(
      R"((runc_isolcpus_[a-z_]+)(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? [0-9]+)");
  std::set<std::string> helped;
  std::set<std::string> typed;
  std::set<std::string> sampled;
  std::istringstream text(render_metrics(small_node()));
  std::string line;
  std::smatch m;
  while (std::getline(text, line)) {
    if (std::regex_match(line, m, help)) {
      helped.insert(m[1]);
    } else if (std::regex_match(line, m, type)) {
      EXPECT_TRUE(helped.contains(m[1])) << line;
      typed.insert(m[1]);
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << line;
      EXPECT_TRUE(typed.contains(m[1])) << line;
      sampled.insert(m[1]);
    }
  }
  const std::set<std::string> all = {
      "runc_isolcpus_online_cpus",    "runc_isolcpus_isolated_cpus", "runc_isolcpus_boot_isolated_cpus",
      "runc_isolcpus_ledger_entries", "runc_isolcpus_containers",    "runc_isolcpus_containers_with_tuning",
      "runc_isolcpus_tuned_cpus",     "runc_isolcpus_problems",      "runc_isolcpus_knob_honoured",
      "runc_isolcpus_knob_available"};
  EXPECT_EQ(sampled, all);
  EXPECT_EQ(typed, all);
}

TEST(RenderMetrics, UnknownAvailabilityIsNoSeriesNotZero) {
  MetricsInput in = small_node();
  in.availability.reset();
  const std::string text = render_metrics(in);
  EXPECT_EQ(text.find("knob_available"), std::string::npos);
  EXPECT_NE(text.find("runc_isolcpus_knob_honoured{knob=\"cpu-quota\"} 1\n"), std::string::npos);
}

TEST(RenderMetrics, LastReconcileOnlyOnceOneRan) {
  MetricsInput in = small_node();
  EXPECT_EQ(render_metrics(in).find("last_reconcile"), std::string::npos);
  in.last_reconcile = 1764390000;
  EXPECT_NE(render_metrics(in).find("# TYPE runc_isolcpus_last_reconcile_timestamp_seconds gauge\n"
                                    "runc_isolcpus_last_reconcile_timestamp_seconds 1764390000\n"),
            std::string::npos)
      << render_metrics(in);
}

// Overlapping or unsettled entries: CPUs count once, and only where the
// tuning is in place.
TEST(RenderMetrics, TunedCpusAreAUnionOfSettledContainers) {
  MetricsInput in;
  in.online = CpuSet::range(0, 7);
  in.entries = {entry("a", EntryState::kIsolated, "2-3", {{Knob::kCStates, "disable"}}),
                entry("b", EntryState::kIsolated, "3-4", {{Knob::kCStates, "enable"}}),
                entry("c", EntryState::kReleasing, "5-6", {{Knob::kCStates, "disable"}}),
                entry("d", EntryState::kIsolating, "7", {{Knob::kCStates, "disable"}})};
  const std::string text = render_metrics(in);
  EXPECT_NE(text.find("runc_isolcpus_tuned_cpus{knob=\"cpu-c-states\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("runc_isolcpus_containers_with_tuning{knob=\"cpu-c-states\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("runc_isolcpus_containers{state=\"releasing\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("runc_isolcpus_ledger_entries 4\n"), std::string::npos);
}

}  // namespace
}  // namespace isolcpus
