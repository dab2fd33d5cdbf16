// The ledger's on-disk format.  Versioned, so a newer wrapper can read (or
// clearly refuse) what an older one wrote during a rolling upgrade.
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "change_runs.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/utf8.hpp"
#include "json_text.hpp"

namespace isolcpus {
namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;
// Written only when a record is a run of files (change_runs.hpp), so that
// a ledger without one still reads in a version before runs: an older
// runc-isolcpus then refuses a ledger with runs by its version, naming what
// to do, instead of calling it corrupt.
constexpr int kFormatVersionWithRuns = 2;

constexpr std::pair<EntryState, std::string_view> kStates[] = {
    {EntryState::kDecided, "decided"},
    {EntryState::kIsolating, "isolating"},
    {EntryState::kIsolated, "isolated"},
    {EntryState::kReleasing, "releasing"},
};

json cpus_json(const CpuSet& cpus) { return cpus.to_string(); }

// Reading: every value's type and range is checked before conversion
// (nlohmann converts a float to int with a plain cast, undefined for 1e300),
// and what is thrown names the key: "entries[2].isolation.cpus: ...".
[[noreturn]] void corrupt(const std::string& where, const std::string& what) {
  throw std::runtime_error(where + ": " + what);
}

std::string at(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

const json& member(const json& j, std::string_view key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end()) {
    corrupt(at(where, key), "missing");
  }
  return *it;
}

const json& typed(const json& j, std::string_view key, const std::string& where, json::value_t type,
                  const char* expected) {
  const json& value = member(j, key, where);
  if (value.type() != type) {
    corrupt(at(where, key), std::string("expected ") + expected + ", got " + value.type_name());
  }
  return value;
}

std::string text(const json& j, std::string_view key, const std::string& where) {
  return typed(j, key, where, json::value_t::string, "a string").get<std::string>();
}

// A text field put_text wrote: checked like any string, read back with the
// exact bytes when it carries a "<key>_hex" copy.
std::string bytes(const json& j, std::string_view key, const std::string& where) {
  (void)text(j, key, where);
  return get_text(j, key);
}

bool flag(const json& j, std::string_view key, const std::string& where) {
  return typed(j, key, where, json::value_t::boolean, "a boolean").get<bool>();
}

const json& array(const json& j, std::string_view key, const std::string& where) {
  return typed(j, key, where, json::value_t::array, "an array");
}

template <class Int>
Int integer(const json& j, std::string_view key, const std::string& where) {
  const json& value = member(j, key, where);
  using Limits = std::numeric_limits<Int>;
  const bool fits = (value.is_number_unsigned() &&
                     value.get<std::uint64_t>() <= static_cast<std::uint64_t>(Limits::max())) ||
                    (value.is_number_integer() && !value.is_number_unsigned() &&
                     value.get<std::int64_t>() >= static_cast<std::int64_t>(Limits::min()) &&
                     (Limits::is_signed || value.get<std::int64_t>() >= 0));
  if (!fits) {
    corrupt(at(where, key), "expected an integer from " + std::to_string(Limits::min()) + " to " +
                                std::to_string(Limits::max()) + ", got " +
                                (value.is_number() ? value.dump() : std::string(value.type_name())));
  }
  return value.is_number_unsigned() ? static_cast<Int>(value.get<std::uint64_t>())
                                    : static_cast<Int>(value.get<std::int64_t>());
}

CpuSet cpus_from(const json& j, std::string_view key, const std::string& where) {
  auto parsed = CpuSet::parse(text(j, key, where));
  if (!parsed) {
    corrupt(at(where, key), parsed.error().message);
  }
  return *parsed;
}

const json& object(const json& j, const std::string& where) {
  if (!j.is_object()) {
    corrupt(where, std::string("expected an object, got ") + j.type_name());
  }
  return j;
}

json isolation_json(const Isolation& iso) {
  json levels = json::array();
  // Every record carries the array (empty but for v2), as it always has.
  for (const auto& level : changes_of<V2Changes>(iso).ancestor_additions) {
    json l = {{"added", cpus_json(level.added)}};
    put_text(l, "cgroup", level.cgroup);
    levels.push_back(std::move(l));
  }
  json j = {{"isolator", iso.isolator}, {"cpus", cpus_json(iso.cpus)}, {"ancestor_additions", levels}};
  put_text(j, "cgroup", iso.cgroup);
  if (const auto flag = changes_of<V1Changes>(iso).container_flag_original) {
    j["container_flag_original"] = *flag;
  }
  return j;
}

Isolation isolation_from(const json& j, const std::string& where) {
  object(j, where);
  Isolation iso;
  iso.isolator = text(j, "isolator", where);
  iso.cgroup = bytes(j, "cgroup", where);
  iso.cpus = cpus_from(j, "cpus", where);
  V2Changes v2;
  const json& levels = array(j, "ancestor_additions", where);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const std::string level = at(where, "ancestor_additions") + "[" + std::to_string(i) + "]";
    object(levels[i], level);
    v2.ancestor_additions.push_back(
        {bytes(levels[i], "cgroup", level), cpus_from(levels[i], "added", level)});
  }
  V1Changes v1;
  if (j.contains("container_flag_original")) {
    v1.container_flag_original = flag(j, "container_flag_original", where);
  }
  // Each isolator's own fields go to its own record; an isolator this
  // version does not know keeps none (it could not undo them anyway).
  if (iso.isolator == kIsolatorV2) {
    iso.changes = std::move(v2);
  } else if (iso.isolator == kIsolatorV1) {
    iso.changes = v1;
  }
  return iso;
}

json process_json(const ProcessRef& p) { return {{"pid", p.pid}, {"start_ticks", p.start_ticks}}; }

ProcessRef process_from(const json& j, const std::string& where) {
  object(j, where);
  return ProcessRef{integer<int>(j, "pid", where), integer<std::uint64_t>(j, "start_ticks", where)};
}

json update_json(const UpdateInFlight& u) {
  json j = {{"from", cpus_json(u.from)},
            {"to", cpus_json(u.to)},
            {"wrapper", process_json(u.wrapper)},
            {"child", process_json(u.child)}};
  put_text(j, "cgroup", u.cgroup);
  if (u.refused) {
    j["refused"] = true;
  }
  return j;
}

UpdateInFlight update_from(const json& j, const std::string& where) {
  object(j, where);
  return UpdateInFlight{cpus_from(j, "from", where),
                        cpus_from(j, "to", where),
                        bytes(j, "cgroup", where),
                        process_from(member(j, "wrapper", where), at(where, "wrapper")),
                        process_from(member(j, "child", where), at(where, "child")),
                        j.contains("refused") && flag(j, "refused", where)};
}

// Keys added after the first release are optional, so a ledger written by
// an older wrapper reads as it was meant (and an older wrapper ignores them).
void add_v02_fields(const LedgerEntry& e, json& j) {
  if (!e.creator.empty()) {
    j["creator"] = process_json(e.creator);
  }
  if (e.update) {
    j["update"] = update_json(*e.update);
  }
  if (!e.problems.empty()) {
    // Messages for people: their display form is enough.
    json problems = json::array();
    for (const auto& p : e.problems) {
      problems.push_back(utf8_for_display(p));
    }
    j["problems"] = std::move(problems);
  }
}

void read_v02_fields(const json& j, const std::string& where, LedgerEntry& e) {
  if (j.contains("creator")) {
    e.creator = process_from(j.at("creator"), at(where, "creator"));
  }
  if (j.contains("update")) {
    e.update = update_from(j.at("update"), at(where, "update"));
  }
  if (j.contains("problems")) {
    const json& problems = array(j, "problems", where);
    for (std::size_t i = 0; i < problems.size(); ++i) {
      if (!problems[i].is_string()) {
        corrupt(at(where, "problems") + "[" + std::to_string(i) + "]",
                std::string("expected a string, got ") + problems[i].type_name());
      }
      e.problems.push_back(problems[i].get<std::string>());
    }
  }
}

Knob knob_from(const json& j, const std::string& where) {
  const std::string name = text(j, "knob", where);
  const auto knob = knob_from_name(name);
  if (!knob) {
    corrupt(at(where, "knob"), "\"" + name + "\" is not a knob this version knows");
  }
  return *knob;
}

// One record per change, or per run of changes alike (change_runs.hpp):
// "file" or "file_prefix", "file_numbers" and "file_suffix".
json tuning_changes_json(const std::vector<TuningChange>& changes) {
  json out = json::array();
  for (const auto& run : group_runs(changes)) {
    const TuningChange& c = run.first;
    json j = {{"knob", knob_name(c.knob)}, {"cpus", cpus_json(c.cpus)}};
    if (run.numbers.empty()) {
      put_text(j, "file", c.file);
    } else {
      put_text(j, "file_prefix", run.prefix);
      j["file_numbers"] = format_ranges(run.numbers);
      put_text(j, "file_suffix", run.suffix);
    }
    put_text(j, "original", c.original);
    put_text(j, "written", c.written);
    out.push_back(std::move(j));
  }
  return out;
}

void read_tuning_change(const json& j, const std::string& where, std::vector<TuningChange>& out) {
  TuningChange c{.knob = knob_from(j, where),
                 .file = "",
                 .original = bytes(j, "original", where),
                 .written = bytes(j, "written", where),
                 .cpus = cpus_from(j, "cpus", where)};
  if (!j.contains("file_numbers")) {
    c.file = bytes(j, "file", where);
    out.push_back(std::move(c));
    return;
  }
  const auto numbers = parse_ranges(text(j, "file_numbers", where));
  if (!numbers.error.empty() || numbers.numbers.size() < 2) {
    corrupt(at(where, "file_numbers"), numbers.error.empty() ? "a run of one file" : numbers.error);
  }
  if (out.size() + numbers.numbers.size() > kMaxRunCount) {
    corrupt(at(where, "file_numbers"), "more than " + std::to_string(kMaxRunCount) + " tuning changes");
  }
  const std::string prefix = bytes(j, "file_prefix", where);
  const std::string suffix = bytes(j, "file_suffix", where);
  for (const unsigned n : numbers.numbers) {
    c.file = prefix + std::to_string(n) + suffix;
    out.push_back(c);
  }
}

void add_v03_fields(const LedgerEntry& e, json& j) {
  if (!e.cpuset_isolation) {
    j["cpuset_isolation"] = false;
  }
  if (!e.tunings.empty()) {
    json tunings = json::array();
    for (const auto& t : e.tunings) {
      json one = {{"knob", knob_name(t.knob)}};
      put_text(one, "value", t.value);
      tunings.push_back(std::move(one));
    }
    j["tunings"] = std::move(tunings);
  }
  if (!e.tuning_changes.empty()) {
    j["tuning_changes"] = tuning_changes_json(e.tuning_changes);
  }
}

void read_v03_fields(const json& j, const std::string& where, LedgerEntry& e) {
  if (j.contains("cpuset_isolation")) {
    e.cpuset_isolation = flag(j, "cpuset_isolation", where);
  }
  if (j.contains("tunings")) {
    const json& tunings = array(j, "tunings", where);
    for (std::size_t i = 0; i < tunings.size(); ++i) {
      const std::string one = at(where, "tunings") + "[" + std::to_string(i) + "]";
      object(tunings[i], one);
      e.tunings.push_back(Tuning{knob_from(tunings[i], one), bytes(tunings[i], "value", one)});
    }
  }
  if (j.contains("tuning_changes")) {
    const json& changes = array(j, "tuning_changes", where);
    for (std::size_t i = 0; i < changes.size(); ++i) {
      const std::string one = at(where, "tuning_changes") + "[" + std::to_string(i) + "]";
      object(changes[i], one);
      read_tuning_change(changes[i], one, e.tuning_changes);
    }
  }
}

EntryState state_from(const json& j, const std::string& where) {
  const std::string state = text(j, "state", where);
  std::string known;
  for (const auto& [value, name] : kStates) {
    if (name == state) {
      return value;
    }
    known += known.empty() ? "" : ", ";
    known += name;
  }
  corrupt(at(where, "state"), "\"" + state + "\" is not one of " + known);
}

LedgerEntry entry_from(const json& j, const std::string& where) {
  object(j, where);
  LedgerEntry e;
  e.runc_root = bytes(j, "runc_root", where);
  if (e.runc_root == kLegacyHookRoot) {
    e.runc_root = kHookRoot;  // a hook entry of 0.1 / 0.2: released like ours
  }
  e.container_id = bytes(j, "container_id", where);
  e.state = state_from(j, where);
  e.cpus = cpus_from(j, "cpus", where);
  e.bundle = bytes(j, "bundle", where);
  e.cgroups_path = bytes(j, "cgroups_path", where);
  e.systemd_cgroup = flag(j, "systemd_cgroup", where);
  e.pod_namespace = bytes(j, "pod_namespace", where);
  e.pod_name = bytes(j, "pod_name", where);
  e.container_name = bytes(j, "container_name", where);
  e.decided_at = integer<std::int64_t>(j, "decided_at", where);
  e.isolated_at = integer<std::int64_t>(j, "isolated_at", where);
  e.init_pid = integer<int>(j, "init_pid", where);
  e.init_start_ticks = integer<std::uint64_t>(j, "init_start_ticks", where);
  if (j.contains("isolation")) {
    e.isolation = isolation_from(j.at("isolation"), at(where, "isolation"));
  }
  read_v02_fields(j, where, e);
  read_v03_fields(j, where, e);
  return e;
}

V1NodeRecord v1_from(const json& j) {
  object(j, "v1");
  V1NodeRecord v1;
  v1.balanced_cgroup = bytes(j, "balanced_cgroup", "v1");
  if (j.contains("root_flag_original")) {
    v1.root_flag_original = flag(j, "root_flag_original", "v1");
  }
  const json& flags = array(j, "flag_changes", "v1");
  for (std::size_t i = 0; i < flags.size(); ++i) {
    const std::string where = "v1.flag_changes[" + std::to_string(i) + "]";
    object(flags[i], where);
    v1.flag_changes.push_back({bytes(flags[i], "cgroup", where), flag(flags[i], "original", where)});
  }
  return v1;
}

// The JSON library's text without its "[json.exception.parse_error.101] ".
std::string without_exception_id(std::string_view what) {
  if (const auto close = what.find("] "); what.starts_with("[json.exception.") && close != what.npos) {
    what.remove_prefix(close + 2);
  }
  return std::string(what);
}

}  // namespace

std::string_view to_string(EntryState s) {
  for (const auto& [state, name] : kStates) {
    if (state == s) {
      return name;
    }
  }
  return "unknown";
}

std::string serialize_ledger(const LedgerData& data) {
  json entries = json::array();
  for (const auto& e : data.entries) {
    json j = {{"state", to_string(e.state)},           {"cpus", cpus_json(e.cpus)},
              {"systemd_cgroup", e.systemd_cgroup},    {"decided_at", e.decided_at},
              {"isolated_at", e.isolated_at},          {"init_pid", e.init_pid},
              {"init_start_ticks", e.init_start_ticks}};
    put_text(j, "runc_root", e.runc_root);
    put_text(j, "container_id", e.container_id);
    put_text(j, "bundle", e.bundle);
    put_text(j, "cgroups_path", e.cgroups_path);
    put_text(j, "pod_namespace", e.pod_namespace);
    put_text(j, "pod_name", e.pod_name);
    put_text(j, "container_name", e.container_name);
    if (e.isolation) {
      j["isolation"] = isolation_json(*e.isolation);
    }
    add_v02_fields(e, j);
    add_v03_fields(e, j);
    entries.push_back(std::move(j));
  }
  json flags = json::array();
  for (const auto& f : data.v1.flag_changes) {
    json flag = {{"original", f.original}};
    put_text(flag, "cgroup", f.cgroup);
    flags.push_back(std::move(flag));
  }
  json v1 = {{"flag_changes", flags}};
  put_text(v1, "balanced_cgroup", data.v1.balanced_cgroup);
  if (data.v1.root_flag_original) {
    v1["root_flag_original"] = *data.v1.root_flag_original;
  }
  bool runs = false;
  for (const auto& e : entries) {
    for (const auto& c : e.value("tuning_changes", json::array())) {
      runs = runs || c.contains("file_numbers");
    }
  }
  json doc = {{"version", runs ? kFormatVersionWithRuns : kFormatVersion}, {"entries", entries}, {"v1", v1}};
  if (!data.irqbalance_told.empty()) {
    put_text(doc, "irqbalance_told", data.irqbalance_told);  // 0.3
  }
  return doc.dump(2) + "\n";
}

Expected<LedgerData> parse_ledger(std::string_view json_text, std::string_view origin) {
  const auto corrupt_ledger = [&](const std::string& why) {
    return make_error(std::string(origin) + ": corrupt ledger: " + why +
                      "; inspect it, then move it aside and run `runc-isolcpus-ctl reconcile`");
  };
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception& e) {
    return corrupt_ledger("invalid JSON: " + without_exception_id(e.what()));
  }
  try {
    object(doc, "(top level)");
    const int version = integer<int>(doc, "version", "");
    if (version != kFormatVersion && version != kFormatVersionWithRuns) {
      return make_error(std::string(origin) + ": ledger format version " + std::to_string(version) +
                        " is not understood by this runc-isolcpus (expects " +
                        std::to_string(kFormatVersion) + " or " + std::to_string(kFormatVersionWithRuns) +
                        "); run the matching version's `runc-isolcpus-ctl reconcile` first");
    }
    LedgerData data;
    const json& entries = array(doc, "entries", "");
    std::size_t changes = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      data.entries.push_back(entry_from(entries[i], "entries[" + std::to_string(i) + "]"));
      // Runs expand: a few bytes of hostile ledger must not become gigabytes.
      changes += data.entries.back().tuning_changes.size();
      if (changes > kMaxRunCount) {
        corrupt("entries[" + std::to_string(i) + "].tuning_changes",
                "more than " + std::to_string(kMaxRunCount) + " tuning changes in the ledger");
      }
    }
    data.v1 = v1_from(member(doc, "v1", ""));
    if (doc.contains("irqbalance_told")) {
      data.irqbalance_told = bytes(doc, "irqbalance_told", "");
    }
    return data;
  } catch (const std::exception& e) {
    return corrupt_ledger(e.what());
  }
}

}  // namespace isolcpus
