#include "check_rules.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

namespace isolcpus {

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::kOk:
      return "ok";
    case Severity::kInfo:
      return "info";
    case Severity::kWarn:
      return "warn";
    case Severity::kError:
      return "error";
  }
  return "?";
}

namespace {

bool lists_word(const std::string& text, std::string_view word) {
  std::istringstream in(text);
  std::string w;
  while (in >> w) {
    if (w == word) {
      return true;
    }
  }
  return false;
}

// A level's controllers file inside a systemd slice (".../kubepods.slice/<file>").
bool under_systemd_slice(const std::string& controllers_file) {
  const std::filesystem::path dir = std::filesystem::path(controllers_file).parent_path();
  return dir.filename().string().ends_with(".slice");
}

void check_config(const CheckFacts& f, std::vector<Finding>& out) {
  if (!f.config_problems.empty()) {
    for (const auto& p : f.config_problems) {
      out.push_back(
          {Severity::kError, "config", p,
           "fix the file; until then the wrapper isolates nothing new (mode is treated as \"never\")"});
    }
    return;
  }
  if (!f.config_found) {
    out.push_back({Severity::kInfo, "config", "no file at " + f.config_path + ": built-in defaults apply",
                   "install one (the package ships /etc/runc-isolcpus/config.toml) to change the defaults"});
  } else {
    out.push_back({Severity::kOk, "config", f.config_path + " is valid", ""});
  }
  if (f.config.mode == Mode::kNever) {
    out.push_back({Severity::kWarn, "config", "mode = \"never\": the wrapper only passes calls through",
                   "set mode = \"annotation\" (or \"always\") in " + f.config_path});
  }
}

void check_cpus(const CheckFacts& f, std::vector<Finding>& out) {
  const auto& c = f.config;
  CpuSet candidates = f.host.online - f.host.boot_isolated;
  if (c.isolatable_cpus) {
    const CpuSet outside = *c.isolatable_cpus - f.host.online;
    if (!outside.empty()) {
      out.push_back({Severity::kWarn, "cpus",
                     "isolatable_cpus lists CPUs that are not online: " + outside.to_string() +
                         " (online: " + f.host.online.to_string() + ")",
                     "set isolatable_cpus to online CPUs in " + f.config_path});
    }
    candidates = candidates & *c.isolatable_cpus;
  }
  const std::size_t online = f.host.online.count();
  const std::size_t boot = (f.host.online & f.host.boot_isolated).count();
  if (online <= boot + c.min_housekeeping_cpus || candidates.empty()) {
    out.push_back({Severity::kError, "cpus",
                   std::to_string(online) + " CPUs online, " + std::to_string(boot) +
                       " isolated at boot, min_housekeeping_cpus = " +
                       std::to_string(c.min_housekeeping_cpus) + ": no CPU can ever be isolated",
                   "lower min_housekeeping_cpus or widen isolatable_cpus in " + f.config_path +
                       ", or use a node with more CPUs"});
  } else {
    out.push_back(
        {Severity::kOk, "cpus",
         std::to_string(online) + " CPUs online (" + f.host.online.to_string() + "), up to " +
             std::to_string(std::min(candidates.count(), online - boot - c.min_housekeeping_cpus)) +
             " can be isolated (min_housekeeping_cpus = " + std::to_string(c.min_housekeeping_cpus) + ")",
         ""});
  }
  if (!f.host.boot_isolated.empty()) {
    out.push_back({Severity::kInfo, "cpus",
                   "CPUs " + f.host.boot_isolated.to_string() +
                       " are isolated at boot (isolcpus=); they are never handed out or changed",
                   ""});
  }
}

void check_v2(const CheckFacts& f, std::vector<Finding>& out) {
  const auto& k = f.host.kernel;
  if (k < KernelVersion{6, 7, {}}) {
    out.push_back({Severity::kError, "kernel",
                   "kernel " + k.release + " on cgroup v2 has no remote isolated partitions (needs 6.7+)",
                   "upgrade the kernel to 6.7 or later, or boot with cgroup v1 "
                   "(systemd.unified_cgroup_hierarchy=0)"});
  } else {
    out.push_back(
        {Severity::kOk, "kernel", "kernel " + k.release + " supports remote isolated partitions", ""});
  }
  const CpusetFacts& c = f.cpuset;
  const V2CpusetFileNames& names = c.v2_names;
  if (!c.v2_partition_file || !c.v2_exclusive_file) {
    out.push_back({Severity::kError, "kernel",
                   (!c.v2_exclusive_file ? names.exclusive : names.partition) +
                       " is missing below the cgroup v2 root: this kernel's cpuset lacks partitions",
                   "use a kernel 6.7+ built with CONFIG_CPUSETS, and enable cpuset in the root's " +
                       names.subtree_control});
  } else {
    out.push_back(
        {Severity::kOk, "kernel", names.exclusive + " and " + names.partition + " are available", ""});
  }
  if (!c.v2_root_isolated_file) {
    out.push_back({Severity::kInfo, "kernel",
                   "no " + names.root_isolated +
                       " at the root (kernel before 6.8): status cross-checks partitions one by one",
                   ""});
  }
  for (const auto& level : c.delegation) {
    if (!level.subtree_control) {
      out.push_back({Severity::kError, "delegation", "cannot read " + level.path,
                     "check that the cgroup2 filesystem is mounted and readable by root"});
    } else if (!lists_word(*level.subtree_control, "cpuset") && under_systemd_slice(level.path)) {
      // Seen in the systemd guest: systemd enables a controller in a slice
      // only while a unit below needs it, and runc's systemd driver sets
      // AllowedCPUs on every pinned container, so an idle node reads this.
      out.push_back({Severity::kInfo, "delegation",
                     level.path + " does not enable cpuset now (reads \"" + *level.subtree_control +
                         "\"): systemd enables it while a unit below sets AllowedCPUs, as runc's systemd "
                         "driver does for every pinned container",
                     ""});
    } else if (!lists_word(*level.subtree_control, "cpuset")) {
      out.push_back({Severity::kError, "delegation",
                     level.path + " does not enable cpuset (reads \"" + *level.subtree_control + "\")",
                     "echo +cpuset > " + level.path +
                         " (kubelet with the static CPU manager policy does this; check its cgroup driver)"});
    } else {
      out.push_back({Severity::kOk, "delegation", level.path + " enables cpuset", ""});
    }
  }
}

void check_v1(const CheckFacts& f, std::vector<Finding>& out) {
  out.push_back({Severity::kOk, "kernel",
                 "kernel " + f.host.kernel.release + " with a cgroup v1 cpuset hierarchy", ""});
  const std::optional<bool>& root_flag = f.cpuset.v1_root_flag;
  const std::string& root_flag_file = f.cpuset.v1_root_flag_file;
  if (!root_flag) {
    out.push_back({Severity::kError, "cgroup", "cannot read " + root_flag_file,
                   "mount the cpuset hierarchy read-write at " + f.host.cpuset_mount.string()});
    return;
  }
  if (!*root_flag) {
    out.push_back({Severity::kOk, "cgroup", root_flag_file + " is 0: child cpusets decide balancing", ""});
  } else if (f.config.v1_manage_root_flag) {
    out.push_back({Severity::kInfo, "cgroup",
                   root_flag_file +
                       " is 1; the wrapper sets it to 0 while a container is isolated and restores it after",
                   ""});
  } else {
    out.push_back({Severity::kError, "cgroup",
                   root_flag_file +
                       " is 1 and v1_manage_root_flag = false: the kernel balances every CPU, so containers "
                       "start but nothing is isolated",
                   "set v1_manage_root_flag = true in " + f.config_path + ", or write 0 to " +
                       root_flag_file + " yourself and keep the other top-level cpusets balanced"});
  }
}

void check_cgroup(const CheckFacts& f, std::vector<Finding>& out) {
  switch (f.host.mode) {
    case CgroupMode::kNone:
      out.push_back({Severity::kError, "cgroup", "no cpuset controller is mounted (neither v2 nor v1)",
                     "mount cgroup2 with the cpuset controller, or a v1 cpuset hierarchy"});
      return;
    case CgroupMode::kV2:
      out.push_back({Severity::kOk, "cgroup", "cgroup v2 at " + f.host.cpuset_mount.string(), ""});
      check_v2(f, out);
      break;
    case CgroupMode::kV1:
      out.push_back({Severity::kOk, "cgroup", "cgroup v1 cpuset at " + f.host.cpuset_mount.string(), ""});
      check_v1(f, out);
      break;
  }
  if (f.cpuset.kubepods) {
    out.push_back({Severity::kOk, "kubernetes", "kubepods cgroup found at " + *f.cpuset.kubepods, ""});
  } else {
    out.push_back({Severity::kInfo, "kubernetes",
                   "no kubepods cgroup under " + f.host.cpuset_mount.string() +
                       " (not a Kubernetes node, or kubelet has not started yet)",
                   ""});
  }
  check_cpus(f, out);
}

void check_host(const CheckFacts& f, std::vector<Finding>& out) {
  if (f.probe_error) {
    out.push_back({Severity::kError, "host", "cannot probe the host: " + *f.probe_error,
                   "check that /proc and /sys are mounted (host_root = \"" + f.config.host_root + "\")"});
    return;
  }
  check_cgroup(f, out);
}

void check_runtime(const CheckFacts& f, std::vector<Finding>& out) {
  if (f.runtime) {
    out.push_back({Severity::kOk, "runtime", "real runtime: " + *f.runtime, ""});
  } else {
    out.push_back({Severity::kError, "runtime", f.runtime_error,
                   "install runc, or set runtime = \"/path/to/runc\" in " + f.config_path});
  }
}

void check_state_dir(const CheckFacts& f, std::vector<Finding>& out) {
  const auto& sd = f.state_dir;
  const std::string dir = f.config.state_dir;
  if (!sd.exists) {
    out.push_back(
        {Severity::kOk, "ledger", dir + " does not exist yet; it is created 0700 on first use", ""});
  } else if (!sd.is_dir) {
    out.push_back({Severity::kError, "ledger", dir + " is not a directory",
                   "remove it, or set state_dir in " + f.config_path + " to a directory on a tmpfs"});
  } else if (sd.uid != 0 || sd.mode != 0700) {
    char mode[8];
    (void)std::snprintf(mode, sizeof mode, "%04o", sd.mode);
    out.push_back({Severity::kError, "ledger",
                   dir + " is owned by uid " + std::to_string(sd.uid) + " with mode " + mode +
                       ": the ledger refuses it (another user could forge entries)",
                   "chown root:root " + dir + " && chmod 0700 " + dir});
  } else {
    out.push_back({Severity::kOk, "ledger", dir + " is owned by root, mode 0700", ""});
  }
}

void check_ledger(const CheckFacts& f, std::vector<Finding>& out) {
  check_state_dir(f, out);
  if (f.ledger_error) {
    out.push_back({Severity::kError, "ledger", *f.ledger_error, "inspect it; see docs/OPERATIONS.md"});
  }
  for (const auto& problem : f.ledger_problems) {
    out.push_back({Severity::kError, "ledger", problem,
                   "run `runc-isolcpus-ctl status`; the log names the file the kernel refused"});
  }
}

bool honours(const Config& c, Knob knob) {
  return std::find(c.knobs.begin(), c.knobs.end(), knob) != c.knobs.end();
}

// What a ready knob has, restating what its driver's unavailable() looks
// for (src/kernel/knob_*.cpp), so an operator sees what was checked.
std::string knob_ready(const CheckFacts& f, Knob knob) {
  const std::string cpus = f.host.online.to_string();
  switch (knob) {
    case Knob::kCpuQuota:
      return "the cpu controller is mounted at " + f.host.cpu_mount.string() +
             ": a pod's CFS quota can be lifted";
    case Knob::kIrqLoadBalancing:
      return "/proc/irq/default_smp_affinity is present: IRQs can be kept off a pod's CPUs";
    case Knob::kCStates:
      return "PM QoS resume latency files present on CPUs " + cpus;
    case Knob::kGovernor:
      return "cpufreq policies present on CPUs " + cpus;
  }
  return "ready";
}

// What the node lacks, in the operator's terms, when a knob is unavailable.
std::string_view knob_hint(Knob knob) {
  switch (knob) {
    case Knob::kCpuQuota:
      return "mount the cpu controller (cgroup v2: +cpu in the root's cgroup.subtree_control)";
    case Knob::kIrqLoadBalancing:
      return "mount /proc with /proc/irq";
    case Knob::kCStates:
      return "use a kernel with PM QoS (CONFIG_PM)";
    case Knob::kGovernor:
      return "load a cpufreq driver (most VMs have none)";
  }
  return "";
}

void knob_finding(const CheckFacts& f, const KnobReadiness& k, std::vector<Finding>& out) {
  const std::string name(knob_name(k.knob));
  if (k.unavailable.empty()) {
    out.push_back({Severity::kOk, name, knob_ready(f, k.knob), ""});
    return;
  }
  const std::string effect = f.config.on_failure == OnFailure::kFail
                                 ? "a pod asking for it fails to start under on_failure = \"fail\""
                                 : "a pod asking for it starts without its isolation and tunings under "
                                   "on_failure = \"warn\"";
  out.push_back({Severity::kWarn, name, "unavailable: " + k.unavailable + ": " + effect,
                 std::string(knob_hint(k.knob)) + ", or take \"" + name + "\" out of knobs in " +
                     f.config_path + " (its annotation is then ignored with a warning)"});
}

std::string irqbalance_reads(const IrqBalanceFacts& b) {
  return b.reads_mask_only ? "IRQBALANCE_BANNED_CPUS (before 1.8)"
         : b.reads_list    ? "IRQBALANCE_BANNED_CPULIST"
                           : "neither ban variable we know";
}

// irqbalance moves IRQs back within ~10 s unless it is told: how it will be.
void check_irqbalance(const CheckFacts& f, std::vector<Finding>& out) {
  const IrqBalanceFacts& b = f.irqbalance;
  if (!b.sockets.empty()) {
    out.push_back({Severity::kOk, "irqbalance",
                   "answers at " + b.sockets.front() + ": it is given the ban list live, never restarted",
                   ""});
  } else if (b.binary.empty()) {
    out.push_back(
        {Severity::kOk, "irqbalance", "not installed: the IRQ masks we write are nobody else's", ""});
  } else if (!b.config_file) {
    out.push_back({Severity::kWarn, "irqbalance",
                   b.binary + " is installed but has no socket here and neither /etc/default/irqbalance nor "
                              "/etc/sysconfig/irqbalance exists: it cannot be told the CPUs of pods with "
                              "irq-load-balancing, and moves their IRQs back",
                   "create the EnvironmentFile its irqbalance.service reads (it may be empty), or stop "
                   "irqbalance"});
  } else if (!b.reads_list && !b.reads_mask_only) {
    out.push_back({Severity::kWarn, "irqbalance",
                   b.binary +
                       " names neither IRQBALANCE_BANNED_CPULIST nor IRQBALANCE_BANNED_CPUS: the ban "
                       "list written in " +
                       *b.config_file + " may be ignored",
                   "use Debian's or RHEL's irqbalance, or stop irqbalance"});
  } else {
    out.push_back({Severity::kOk, "irqbalance",
                   "no socket here (not running, or built without one): the ban list goes in " +
                       *b.config_file + " as " + irqbalance_reads(b) +
                       ", and `runc-isolcpus-ctl reconcile` restarts irqbalance.service when it runs with an "
                       "older list, at most once a minute and within its start limit",
                   ""});
  }
}

// Tunings: can this node honour each knob the config names, on every online
// CPU (a superset of the CPUs a pod can be given, so "ok" is never too
// hopeful)?  A knob it cannot honour is a warning, never an error: check's
// exit status (1 only for an error, see blocks_isolation) answers "can this
// node isolate CPUs", and a node without cpufreq (every VM) isolates CPUs
// fine; only the pods that ask for that knob are hit, as the line says.
void check_tunings(const CheckFacts& f, std::vector<Finding>& out) {
  if (f.tuner_error && !f.probe_error) {
    out.push_back({Severity::kWarn, "tunings",
                   "cannot tell which tunings this node can honour: " + *f.tuner_error,
                   "check that /sys and /proc are mounted (host_root = \"" + f.config.host_root + "\")"});
  }
  for (const Knob knob : kAllKnobs) {
    if (!honours(f.config, knob)) {
      out.push_back({Severity::kInfo, std::string(knob_name(knob)),
                     "not honoured (not in the config key `knobs`): a pod's " + annotation_key(knob) +
                         " annotation is ignored with a warning",
                     ""});
      continue;
    }
    const auto it =
        std::find_if(f.knobs.begin(), f.knobs.end(), [&](const KnobReadiness& k) { return k.knob == knob; });
    if (it != f.knobs.end()) {
      knob_finding(f, *it, out);
      if (knob == Knob::kIrqLoadBalancing && it->unavailable.empty()) {
        check_irqbalance(f, out);
      }
    }
  }
}

}  // namespace

std::vector<Finding> evaluate_checks(const CheckFacts& f) {
  std::vector<Finding> out;
  check_config(f, out);
  check_host(f, out);
  check_tunings(f, out);
  check_runtime(f, out);
  check_ledger(f, out);
  return out;
}

std::vector<std::string> tuning_drift(const std::vector<LedgerEntry>& entries,
                                      const TuningReadings& readings) {
  const auto& reads = readings.reads;
  const auto& wants = readings.wants;
  // By file: a file several containers hold (a pod's quota) is one problem.
  std::map<std::string, std::pair<const TuningChange*, std::vector<std::string>>> held;
  for (const auto& e : entries) {
    if (e.state != EntryState::kIsolated) {
      continue;  // only a settled container's files must read what it wants
    }
    for (const auto& c : e.tuning_changes) {
      auto& [first, ids] = held[c.file];
      first = first == nullptr ? &c : first;
      if (std::find(ids.begin(), ids.end(), e.container_id) == ids.end()) {
        ids.push_back(e.container_id);
      }
    }
  }
  std::vector<std::string> out;
  for (const auto& [file, holders] : held) {
    const auto& [change, ids] = holders;
    const auto now = reads.find(file);
    if (now == reads.end() || now->second == "(gone)") {
      continue;
    }
    const auto want = wants.find(file);
    const std::string wanted = want == wants.end() ? change->written : want->second;
    if (!readings.drifted.contains(file)) {
      continue;
    }
    std::string who;
    for (const auto& id : ids) {
      who += (who.empty() ? "" : ", ") + id;
    }
    out.push_back(std::string(knob_name(change->knob)) + ": " + file + " reads \"" + now->second +
                  "\", not \"" + wanted + "\" (held by container" + (ids.size() > 1 ? "s " : " ") + who +
                  "); `runc-isolcpus-ctl reconcile` sets it back");
  }
  return out;
}

bool blocks_isolation(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::kError; });
}

std::string render_findings_text(const std::vector<Finding>& findings) {
  std::string out;
  std::size_t counts[4] = {0, 0, 0, 0};
  for (const auto& f : findings) {
    ++counts[static_cast<int>(f.severity)];
    static constexpr const char* kTags[] = {"[ OK ] ", "[INFO] ", "[WARN] ", "[FAIL] "};
    out += kTags[static_cast<int>(f.severity)];
    out += f.topic + ": " + f.what + "\n";
    if (!f.fix.empty() && f.severity != Severity::kOk) {
      out += "       fix: " + f.fix + "\n";
    }
  }
  out += "summary: " + std::to_string(counts[3]) + " blocking, " + std::to_string(counts[2]) + " warnings, " +
         std::to_string(counts[1]) + " notes, " + std::to_string(counts[0]) + " ok: " +
         (counts[3] == 0 ? "this node can isolate CPUs\n"
                         : "this node cannot isolate CPUs until the above is fixed\n");
  return out;
}

std::string render_findings_json(const std::vector<Finding>& findings) {
  nlohmann::json doc;
  doc["blocking"] = blocks_isolation(findings);
  auto& list = doc["findings"] = nlohmann::json::array();
  for (const auto& f : findings) {
    list.push_back({{"severity", std::string(to_string(f.severity))},
                    {"topic", f.topic},
                    {"what", f.what},
                    {"fix", f.fix}});
  }
  // Paths may hold bytes that are not UTF-8 (argv, cgroup names): shown
  // as U+FFFD rather than thrown on.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace isolcpus
