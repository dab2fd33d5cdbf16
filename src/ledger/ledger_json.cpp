// The ledger's on-disk format.  Versioned, so a newer wrapper can read (or
// clearly refuse) what an older one wrote during a rolling upgrade.
#include <nlohmann/json.hpp>

#include "isolcpus/ledger.hpp"
#include "isolcpus/utf8.hpp"
#include "json_text.hpp"

namespace isolcpus {
namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;

constexpr std::pair<EntryState, std::string_view> kStates[] = {
    {EntryState::kDecided, "decided"},
    {EntryState::kIsolating, "isolating"},
    {EntryState::kIsolated, "isolated"},
    {EntryState::kReleasing, "releasing"},
};

json cpus_json(const CpuSet& cpus) { return cpus.to_string(); }

CpuSet cpus_from(const json& j, const char* key) {
  auto parsed = CpuSet::parse(j.at(key).get<std::string>());
  if (!parsed) {
    throw std::runtime_error(std::string(key) + ": " + parsed.error().message);
  }
  return *parsed;
}

json isolation_json(const Isolation& iso) {
  json levels = json::array();
  for (const auto& level : iso.ancestor_additions) {
    json l = {{"added", cpus_json(level.added)}};
    put_text(l, "cgroup", level.cgroup);
    levels.push_back(std::move(l));
  }
  json j = {{"isolator", iso.isolator}, {"cpus", cpus_json(iso.cpus)}, {"ancestor_additions", levels}};
  put_text(j, "cgroup", iso.cgroup);
  if (iso.container_flag_original) {
    j["container_flag_original"] = *iso.container_flag_original;
  }
  return j;
}

Isolation isolation_from(const json& j) {
  Isolation iso;
  iso.isolator = j.at("isolator").get<std::string>();
  iso.cgroup = get_text(j, "cgroup");
  iso.cpus = cpus_from(j, "cpus");
  for (const auto& level : j.at("ancestor_additions")) {
    iso.ancestor_additions.push_back({get_text(level, "cgroup"), cpus_from(level, "added")});
  }
  if (j.contains("container_flag_original")) {
    iso.container_flag_original = j.at("container_flag_original").get<bool>();
  }
  return iso;
}

json process_json(const ProcessRef& p) { return {{"pid", p.pid}, {"start_ticks", p.start_ticks}}; }

ProcessRef process_from(const json& j) {
  return ProcessRef{j.at("pid").get<int>(), j.at("start_ticks").get<std::uint64_t>()};
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

UpdateInFlight update_from(const json& j) {
  return UpdateInFlight{cpus_from(j, "from"),
                        cpus_from(j, "to"),
                        get_text(j, "cgroup"),
                        process_from(j.at("wrapper")),
                        process_from(j.at("child")),
                        j.contains("refused") && j.at("refused").is_boolean() && j.at("refused").get<bool>()};
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

void read_v02_fields(const json& j, LedgerEntry& e) {
  if (j.contains("creator")) {
    e.creator = process_from(j.at("creator"));
  }
  if (j.contains("update")) {
    e.update = update_from(j.at("update"));
  }
  if (j.contains("problems")) {
    e.problems = j.at("problems").get<std::vector<std::string>>();
  }
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
  json doc = {{"version", kFormatVersion}, {"entries", entries}, {"v1", v1}};
  return doc.dump(2) + "\n";
}

Expected<LedgerData> parse_ledger(std::string_view json_text, std::string_view origin) {
  try {
    const json doc = json::parse(json_text);
    const int version = doc.at("version").get<int>();
    if (version != kFormatVersion) {
      return make_error(std::string(origin) + ": ledger format version " + std::to_string(version) +
                        " is not understood by this runc-isolcpus (expects " +
                        std::to_string(kFormatVersion) +
                        "); run the matching version's `runc-isolcpus-ctl reconcile` first");
    }
    LedgerData data;
    for (const auto& j : doc.at("entries")) {
      LedgerEntry e;
      e.runc_root = get_text(j, "runc_root");
      if (e.runc_root == kLegacyHookRoot) {
        e.runc_root = kHookRoot;  // a hook entry of 0.1 / 0.2: released like ours
      }
      e.container_id = get_text(j, "container_id");
      const auto state = j.at("state").get<std::string>();
      bool known = false;
      for (const auto& [value, name] : kStates) {
        if (name == state) {
          e.state = value;
          known = true;
        }
      }
      if (!known) {
        return make_error(std::string(origin) + ": entry " + e.container_id + " has unknown state \"" +
                          state + "\"");
      }
      e.cpus = cpus_from(j, "cpus");
      e.bundle = get_text(j, "bundle");
      e.cgroups_path = get_text(j, "cgroups_path");
      e.systemd_cgroup = j.at("systemd_cgroup").get<bool>();
      e.pod_namespace = get_text(j, "pod_namespace");
      e.pod_name = get_text(j, "pod_name");
      e.container_name = get_text(j, "container_name");
      e.decided_at = j.at("decided_at").get<std::int64_t>();
      e.isolated_at = j.at("isolated_at").get<std::int64_t>();
      e.init_pid = j.at("init_pid").get<int>();
      e.init_start_ticks = j.at("init_start_ticks").get<std::uint64_t>();
      if (j.contains("isolation")) {
        e.isolation = isolation_from(j.at("isolation"));
      }
      read_v02_fields(j, e);
      data.entries.push_back(std::move(e));
    }
    const auto& v1 = doc.at("v1");
    data.v1.balanced_cgroup = get_text(v1, "balanced_cgroup");
    if (v1.contains("root_flag_original")) {
      data.v1.root_flag_original = v1.at("root_flag_original").get<bool>();
    }
    for (const auto& f : v1.at("flag_changes")) {
      data.v1.flag_changes.push_back({get_text(f, "cgroup"), f.at("original").get<bool>()});
    }
    return data;
  } catch (const std::exception& e) {
    return make_error(std::string(origin) + ": corrupt ledger: " + e.what() +
                      "; inspect it, then move it aside and run `runc-isolcpus-ctl reconcile`");
  }
}

}  // namespace isolcpus
