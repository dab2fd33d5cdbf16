// The ledger's on-disk format.  Versioned, so a newer wrapper can read (or
// clearly refuse) what an older one wrote during a rolling upgrade.
#include <nlohmann/json.hpp>

#include "isolcpus/ledger.hpp"

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
    levels.push_back({{"cgroup", level.cgroup}, {"added", cpus_json(level.added)}});
  }
  json j = {{"isolator", iso.isolator},
            {"cgroup", iso.cgroup},
            {"cpus", cpus_json(iso.cpus)},
            {"ancestor_additions", levels}};
  if (iso.container_flag_original) {
    j["container_flag_original"] = *iso.container_flag_original;
  }
  return j;
}

Isolation isolation_from(const json& j) {
  Isolation iso;
  iso.isolator = j.at("isolator").get<std::string>();
  iso.cgroup = j.at("cgroup").get<std::string>();
  iso.cpus = cpus_from(j, "cpus");
  for (const auto& level : j.at("ancestor_additions")) {
    iso.ancestor_additions.push_back({level.at("cgroup").get<std::string>(), cpus_from(level, "added")});
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
  return {{"from", cpus_json(u.from)},
          {"to", cpus_json(u.to)},
          {"cgroup", u.cgroup},
          {"wrapper", process_json(u.wrapper)},
          {"child", process_json(u.child)}};
}

UpdateInFlight update_from(const json& j) {
  return UpdateInFlight{cpus_from(j, "from"), cpus_from(j, "to"), j.at("cgroup").get<std::string>(),
                        process_from(j.at("wrapper")), process_from(j.at("child"))};
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
    j["problems"] = e.problems;
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
    json j = {{"runc_root", e.runc_root},
              {"container_id", e.container_id},
              {"state", to_string(e.state)},
              {"cpus", cpus_json(e.cpus)},
              {"bundle", e.bundle},
              {"cgroups_path", e.cgroups_path},
              {"systemd_cgroup", e.systemd_cgroup},
              {"pod_namespace", e.pod_namespace},
              {"pod_name", e.pod_name},
              {"container_name", e.container_name},
              {"decided_at", e.decided_at},
              {"isolated_at", e.isolated_at},
              {"init_pid", e.init_pid},
              {"init_start_ticks", e.init_start_ticks}};
    if (e.isolation) {
      j["isolation"] = isolation_json(*e.isolation);
    }
    add_v02_fields(e, j);
    entries.push_back(std::move(j));
  }
  json flags = json::array();
  for (const auto& f : data.v1.flag_changes) {
    flags.push_back({{"cgroup", f.cgroup}, {"original", f.original}});
  }
  json v1 = {{"balanced_cgroup", data.v1.balanced_cgroup}, {"flag_changes", flags}};
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
      e.runc_root = j.at("runc_root").get<std::string>();
      if (e.runc_root == kLegacyHookRoot) {
        e.runc_root = kHookRoot;  // a hook entry of 0.1 / 0.2: released like ours
      }
      e.container_id = j.at("container_id").get<std::string>();
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
      e.bundle = j.at("bundle").get<std::string>();
      e.cgroups_path = j.at("cgroups_path").get<std::string>();
      e.systemd_cgroup = j.at("systemd_cgroup").get<bool>();
      e.pod_namespace = j.at("pod_namespace").get<std::string>();
      e.pod_name = j.at("pod_name").get<std::string>();
      e.container_name = j.at("container_name").get<std::string>();
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
    data.v1.balanced_cgroup = v1.at("balanced_cgroup").get<std::string>();
    if (v1.contains("root_flag_original")) {
      data.v1.root_flag_original = v1.at("root_flag_original").get<bool>();
    }
    for (const auto& f : v1.at("flag_changes")) {
      data.v1.flag_changes.push_back({f.at("cgroup").get<std::string>(), f.at("original").get<bool>()});
    }
    return data;
  } catch (const std::exception& e) {
    return make_error(std::string(origin) + ": corrupt ledger: " + e.what() +
                      "; inspect it, then move it aside and run `runc-isolcpus-ctl reconcile`");
  }
}

}  // namespace isolcpus
