#include "status_view.hpp"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>

namespace isolcpus {

namespace {

const LedgerEntry* owner_of(const std::vector<LedgerEntry>& entries, unsigned cpu, std::size_t& holders) {
  const LedgerEntry* owner = nullptr;
  holders = 0;
  for (const auto& e : entries) {
    if (e.cpus.contains(cpu)) {
      ++holders;
      // Prefer the entry that holds the kernel side, if several claim it.
      if (owner == nullptr || ((e.isolation || !e.tuning_changes.empty()) && !owner->isolation &&
                               owner->tuning_changes.empty())) {
        owner = &e;
      }
    }
  }
  return owner;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    out += out.empty() ? "" : sep;
    out += item;
  }
  return out;
}

std::string who(const LedgerEntry& e) {
  std::string s = e.container_id;
  if (!e.pod_name.empty()) {
    s += " (" + e.pod_namespace + "/" + e.pod_name;
    if (!e.container_name.empty()) {
      s += " " + e.container_name;
    }
    s += ")";
  }
  return s;
}

// The owner's tunings on `cpu`: what each knob asked and what its files
// read; a file of a settled container that reads otherwise is a problem.
void tuning_rows(const StatusInput& in, CpuRow& row) {
  const LedgerEntry& e = *row.owner;
  for (const auto& t : e.tunings) {
    std::string cell = std::string(knob_name(t.knob)) + "=" + t.value;
    std::size_t irqs = 0;
    for (const auto& c : e.tuning_changes) {
      if (c.knob != t.knob || !(c.cpus.contains(row.cpu))) {
        continue;
      }
      const auto reads = in.tuning_reads.find(c.file);
      const auto wants = in.tuning_wants.find(c.file);
      const std::string now = reads == in.tuning_reads.end() ? "?" : reads->second;
      const std::string want = wants == in.tuning_wants.end() ? c.written : wants->second;
      // IRQs: hundreds of masks on a server; their count and the default mask say enough.
      const bool one_irq = t.knob == Knob::kIrqLoadBalancing && c.file.ends_with("/smp_affinity");
      irqs += one_irq ? 1 : 0;
      cell += one_irq ? "" : " (" + c.file + ": " + now + ")";
      if (e.state == EntryState::kIsolated && in.tuning_drifted.contains(c.file)) {
        row.problems.push_back(std::string(knob_name(t.knob)) + ": " + c.file + " reads \"" + now +
                               "\", not \"" + want + "\"; `runc-isolcpus-ctl reconcile` sets it back");
      }
    }
    if (irqs > 0) {
      cell += " (" + std::to_string(irqs) + " IRQ masks held)";
    }
    row.tunings.push_back(std::move(cell));
  }
}

}  // namespace

std::optional<std::string> entry_problem(const LedgerEntry& e) {
  if (e.state == EntryState::kReleasing) {
    std::string msg = "container " + who(e) + ": the release of CPUs " + e.cpus.to_string() +
                      " is incomplete, retried by every wrapper call and `runc-isolcpus-ctl reconcile`";
    if (!e.problems.empty()) {
      msg += "; the kernel refused: " + join(e.problems, "; ");
    }
    if (e.isolation) {
      msg += " (cgroup " + e.isolation->cgroup + ")";
    }
    return msg;
  }
  if (e.state == EntryState::kDecided && e.init_pid > 0 && !e.update) {
    return "container " + who(e) + " runs on CPUs " + e.cpus.to_string() +
           " without isolation (a failed delete or isolation left it so); every wrapper call and "
           "`runc-isolcpus-ctl reconcile` isolate it again, see the log for why it failed";
  }
  if (e.update) {
    // Normally a few milliseconds; longer means its wrapper was killed and
    // the next acting call or reconcile settles it once runc is done.
    return "container " + who(e) + " runs without isolation while its CPUs move from " +
           e.update->from.to_string() + " to " + e.update->to.to_string() + " (wrapper pid " +
           std::to_string(e.update->wrapper.pid) + ", runc child pid " + std::to_string(e.update->child.pid) +
           "); the next wrapper call or `runc-isolcpus-ctl reconcile` settles it once both are gone";
  }
  if (e.state == EntryState::kIsolating) {
    return "container " + who(e) + ": an isolation of CPUs " + e.cpus.to_string() +
           " was interrupted; the next call undoes it";
  }
  return std::nullopt;
}

namespace {

// What the ledger and the kernel say of one CPU (state, kernel, owner).
CpuRow cpu_row(const StatusInput& in, unsigned cpu, std::size_t& holders) {
  CpuRow row;
  row.cpu = cpu;
  row.owner = owner_of(in.entries, cpu, holders);
  const bool boot = in.boot_isolated.contains(cpu);
  if (boot) {
    row.state = "boot-isolated";
  } else if (row.owner != nullptr) {
    const bool tuned_only = !row.owner->cpuset_isolation && row.owner->state == EntryState::kIsolated;
    row.state = tuned_only ? "tuned" : std::string(to_string(row.owner->state));
  } else {
    row.state = "balanced";
  }
  if (!in.kernel_isolated) {
    row.kernel = "unknown";
  } else {
    row.kernel = in.kernel_isolated->contains(cpu) || boot ? "isolated" : "balanced";
  }
  return row;
}

// Where the ledger and the kernel disagree about one CPU.
void row_problems(const StatusInput& in, std::size_t holders, bool ledger_isolated, bool boot, CpuRow& row) {
  if (holders > 1) {
    row.problems.push_back("claimed by " + std::to_string(holders) +
                           " ledger entries at once; run `runc-isolcpus-ctl reconcile` and check the log");
  }
  if (ledger_isolated && row.kernel == "balanced") {
    const auto culprit = in.culprits.find(row.cpu);
    std::string msg =
        "the ledger says container " + who(*row.owner) + " holds it isolated, but the kernel balances it";
    if (culprit != in.culprits.end() && !culprit->second.empty()) {
      msg += ": balanced by " + join(culprit->second, ", ");
    }
    row.problems.push_back(msg);
  }
  if (row.owner != nullptr) {
    if (auto problem = entry_problem(*row.owner)) {
      row.problems.push_back(*problem);
    }
  }
  if (row.kernel == "isolated" && !boot && !ledger_isolated) {
    row.problems.push_back(
        "the kernel does not balance it, but no container in the ledger holds it isolated: a leftover from "
        "a crash or from another tool; run `runc-isolcpus-ctl reconcile`");
  }
}

}  // namespace

StatusView build_status(const StatusInput& in) {
  StatusView view;
  for (unsigned cpu : in.online.cpus()) {
    std::size_t holders = 0;
    CpuRow row = cpu_row(in, cpu, holders);
    const bool boot = in.boot_isolated.contains(cpu);
    const bool ledger_isolated =
        row.owner != nullptr && row.owner->state == EntryState::kIsolated && row.owner->cpuset_isolation;
    view.boot_isolated += boot ? 1 : 0;
    view.isolated += ledger_isolated ? 1 : 0;
    view.balanced += !ledger_isolated && !boot ? 1 : 0;
    if (row.owner != nullptr && !row.owner->tunings.empty()) {
      ++view.tuned;
      tuning_rows(in, row);
    }
    row_problems(in, holders, ledger_isolated, boot, row);
    view.problems += row.problems.size();
    view.rows.push_back(std::move(row));
  }
  view.problems += in.problems.size();
  return view;
}

std::string format_utc(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) {
    return "-";
  }
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  (void)std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_age(std::int64_t seconds) {
  if (seconds < 0) {
    seconds = 0;
  }
  if (seconds < 120) {
    return std::to_string(seconds) + "s";
  }
  if (seconds < 7200) {
    return std::to_string(seconds / 60) + "m";
  }
  if (seconds < 172800) {
    return std::to_string(seconds / 3600) + "h";
  }
  return std::to_string(seconds / 86400) + "d";
}

namespace {

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) {
    s.append(width - s.size(), ' ');
  }
  return s;
}

std::string container_cell(const LedgerEntry* e) {
  if (e == nullptr) {
    return "-";
  }
  std::string id = e->container_id.size() > 12 ? e->container_id.substr(0, 12) : e->container_id;
  if (e->runc_root == kHookRoot) {
    id += " [hook]";
  }
  return id;
}

std::string pod_cell(const LedgerEntry* e) {
  if (e == nullptr || e->pod_name.empty()) {
    return "-";
  }
  std::string s = e->pod_namespace + "/" + e->pod_name;
  if (!e->container_name.empty()) {
    s += " " + e->container_name;
  }
  return s;
}

}  // namespace

std::string render_status_text(const StatusInput& in, const StatusView& view, std::int64_t now) {
  std::ostringstream out;
  out << "node: cgroup " << in.cgroup_mode;
  if (!in.isolator.empty()) {
    out << " (" << in.isolator << ")";
  }
  out << ", kernel " << (in.kernel.empty() ? "?" : in.kernel) << ", " << in.online.count() << " CPUs online ("
      << (in.online.empty() ? "-" : in.online.to_string()) << "), ledger " << in.state_dir << "\n";
  out << "CPU   LEDGER         KERNEL    CONTAINER             POD                              SINCE\n";
  for (const auto& row : view.rows) {
    char cpu[16];
    (void)std::snprintf(cpu, sizeof cpu, "%4u  ", row.cpu);
    out << cpu << pad(row.state, 15) << pad(row.kernel, 10) << pad(container_cell(row.owner), 22)
        << pad(pod_cell(row.owner), 33);
    if (row.owner != nullptr && row.owner->isolated_at > 0) {
      out << format_utc(row.owner->isolated_at) << " (" << format_age(now - row.owner->isolated_at)
          << " ago)";
    } else {
      out << "-";
    }
    out << "\n";
    for (const auto& t : row.tunings) {
      out << "        " << t << "\n";
    }
    for (const auto& p : row.problems) {
      out << "      ! CPU " << row.cpu << ": " << p << "\n";
    }
  }
  for (const auto& problem : in.problems) {
    out << "      ! " << problem << "\n";
  }
  for (const auto& note : in.notes) {
    out << "note: " << note << "\n";
  }
  out << "summary: " << view.isolated << " isolated by containers, " << view.tuned << " tuned, "
      << view.boot_isolated << " isolated at boot, " << view.balanced << " balanced, " << view.problems
      << (view.problems == 1 ? " problem" : " problems") << "\n";
  return out.str();
}

namespace {

// A container's knobs in status --json: what it asked and each file with
// what it reads now.
void add_tunings_json(const StatusInput& in, const LedgerEntry& e, nlohmann::json& c) {
  using nlohmann::json;
  c["load_balancing"] = e.cpuset_isolation ? "off" : "on";
  json tunings = json::object();
  for (const auto& t : e.tunings) {
    tunings[std::string(knob_name(t.knob))] = t.value;
  }
  c["tunings"] = std::move(tunings);
  json changes = json::array();
  for (const auto& ch : e.tuning_changes) {
    const auto reads = in.tuning_reads.find(ch.file);
    changes.push_back({{"knob", knob_name(ch.knob)},
                       {"file", ch.file},
                       {"original", ch.original},
                       {"written", ch.written},
                       {"cpus", ch.cpus.to_string()},
                       {"reads", reads == in.tuning_reads.end() ? json(nullptr) : json(reads->second)}});
  }
  c["tuning_changes"] = std::move(changes);
}

}  // namespace

std::string render_status_json(const StatusInput& in, const StatusView& view, std::int64_t now) {
  using nlohmann::json;
  json doc;
  doc["cgroup_mode"] = in.cgroup_mode;
  doc["isolator"] = in.isolator;
  doc["kernel"] = in.kernel;
  doc["state_dir"] = in.state_dir;
  doc["online"] = in.online.to_string();
  doc["boot_isolated"] = in.boot_isolated.to_string();
  doc["kernel_isolated"] = in.kernel_isolated ? json(in.kernel_isolated->to_string()) : json(nullptr);
  doc["now"] = now;
  json cpus = json::array();
  for (const auto& row : view.rows) {
    json r;
    r["cpu"] = row.cpu;
    r["state"] = row.state;
    r["kernel"] = row.kernel;
    r["container_id"] = row.owner != nullptr ? json(row.owner->container_id) : json(nullptr);
    r["tunings"] = row.tunings;
    r["problems"] = row.problems;
    cpus.push_back(std::move(r));
  }
  doc["cpus"] = std::move(cpus);
  json containers = json::array();
  for (const auto& e : in.entries) {
    json c;
    c["id"] = e.container_id;
    c["runc_root"] = e.runc_root;
    c["mode"] = e.runc_root == kHookRoot ? "hook" : "wrapper";
    c["state"] = std::string(to_string(e.state));
    c["cpus"] = e.cpus.to_string();
    c["pod_namespace"] = e.pod_namespace;
    c["pod_name"] = e.pod_name;
    c["container_name"] = e.container_name;
    c["cgroup"] = e.isolation ? json(e.isolation->cgroup) : json(nullptr);
    c["decided_at"] = e.decided_at;
    c["isolated_at"] = e.isolated_at;
    c["isolated_at_utc"] = e.isolated_at > 0 ? json(format_utc(e.isolated_at)) : json(nullptr);
    c["init_pid"] = e.init_pid;
    add_tunings_json(in, e, c);
    containers.push_back(std::move(c));
  }
  doc["containers"] = std::move(containers);
  doc["notes"] = in.notes;
  doc["problems"] = in.problems;
  doc["summary"] = {{"isolated", view.isolated},
                    {"tuned", view.tuned},
                    {"boot_isolated", view.boot_isolated},
                    {"balanced", view.balanced},
                    {"problems", view.problems}};
  // Paths may hold bytes that are not UTF-8 (argv, cgroup names): shown
  // as U+FFFD rather than thrown on.
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace isolcpus
