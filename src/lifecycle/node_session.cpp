#include "isolcpus/node_session.hpp"

#include <unistd.h>

#include <algorithm>
#include <set>

#include "container_cgroup.hpp"
#include "fault.hpp"
#include "isolcpus/irqbalance.hpp"
#include "isolcpus/wall_clock.hpp"
#include "runc_state.hpp"

namespace isolcpus {
namespace {

// Ledgers written before 0.2 name no creator: their decisions live this
// long after `create` decided (wall clock, as those versions did).
constexpr std::int64_t kLegacyDecisionGraceSeconds = 120;

std::string describe(const LedgerEntry& e) {
  std::string s = "container " + e.container_id;
  if (!e.pod_name.empty()) {
    s += " (pod " + e.pod_namespace + "/" + e.pod_name +
         (e.container_name.empty() ? "" : ", " + e.container_name) + ")";
  }
  return s;
}

bool holds_irqs(const LedgerEntry& e) {
  return std::any_of(e.tuning_changes.begin(), e.tuning_changes.end(),
                     [](const TuningChange& c) { return c.knob == Knob::kIrqLoadBalancing; });
}

// The units a systemd-driver spec names: cgroupsPath "slice:prefix:name"
// is the scope "<prefix>-<name>.scope" in that slice, as runc names them.
SystemdUnits systemd_units(const LedgerEntry& e) {
  const auto& p = e.cgroups_path;
  const auto first = p.find(':');
  const auto second = first == std::string::npos ? std::string::npos : p.find(':', first + 1);
  if (!e.systemd_cgroup || second == std::string::npos || p.find('/') != std::string::npos) {
    return {};
  }
  return SystemdUnits{
      .slice = p.substr(0, first),
      .scope = p.substr(first + 1, second - first - 1) + "-" + p.substr(second + 1) + ".scope"};
}

bool holds_kernel_state(const LedgerEntry& e) { return e.isolation.has_value() || !e.tuning_changes.empty(); }

LedgerEntry decision_entry(std::string_view root, std::string_view id, const NewDecision& decided) {
  LedgerEntry entry;
  entry.runc_root = root;
  entry.container_id = id;
  entry.state = EntryState::kDecided;
  entry.cpus = decided.decision.cpus;
  entry.bundle = decided.bundle;
  entry.cgroups_path = decided.spec.cgroups_path;
  entry.systemd_cgroup = decided.systemd_cgroup;
  entry.pod_namespace = pod_namespace(decided.spec);
  entry.pod_name = pod_name(decided.spec);
  entry.container_name = container_name(decided.spec);
  entry.decided_at = unix_seconds_now();
  entry.init_pid = decided.init.pid;
  entry.init_start_ticks = decided.init.start_ticks;
  entry.cpuset_isolation = decided.decision.cpuset_isolation;
  entry.tunings = decided.decision.tunings;
  return entry;
}

}  // namespace

NodeSession::NodeSession(const Config& config, Log& log, const Seams& seams)
    : config_(config), log_(log), seams_(seams) {
  if (!seams_.checkpoint) {
    seams_.checkpoint = fault_checkpoint();
  }
  if (!seams_.fail_save) {
    seams_.fail_save = fault_fail_save();
  }
}

std::filesystem::path NodeSession::proc() const { return std::filesystem::path(config_.host_root) / "proc"; }

Expected<Ledger*> NodeSession::ledger() {
  if (ledger_error_) {
    return *ledger_error_;
  }
  if (!ledger_) {
    auto opened = Ledger::open(config_.state_dir, config_.lock_timeout);
    if (!opened) {
      ledger_error_ = opened.error();
      return opened.error();
    }
    ledger_.emplace(std::move(*opened));
    ledger_->set_trace_label(label_);
  }
  return &*ledger_;
}

Expected<const HostFacts*> NodeSession::host() {
  if (seams_.host != nullptr) {
    return seams_.host;
  }
  if (!host_) {
    auto probed = probe_host(config_.host_root);
    if (!probed) {
      return probed.error();
    }
    host_ = std::move(*probed);
  }
  return &*host_;
}

Expected<Isolator*> NodeSession::isolator() {
  if (!isolator_) {
    auto facts = host();
    if (!facts) {
      return facts.error();
    }
    if ((*facts)->mode == CgroupMode::kNone) {
      return make_error(
          "no cpuset controller is mounted (neither cgroup v2 with cpuset nor a v1 cpuset hierarchy)");
    }
    if (seams_.tree != nullptr) {
      tree_in_use_ = seams_.tree;
    } else {
      tree_ = open_cgroup_tree((*facts)->cpuset_mount);
      tree_in_use_ = tree_.get();
    }
    auto made = make_isolator(**facts, *tree_in_use_);
    if (!made) {
      return made.error();
    }
    isolator_ = std::move(*made);
  }
  return isolator_.get();
}

Expected<Tuner*> NodeSession::tuner() {
  if (!tuner_) {
    auto facts = host();
    if (!facts) {
      return facts.error();
    }
    const std::filesystem::path root(config_.host_root);
    TuningHost th{.mode = (*facts)->mode, .cpu_mount = {}, .online = (*facts)->online};
    if (!(*facts)->cpu_mount.empty()) {
      th.cpu_mount = "/" + (*facts)->cpu_mount.lexically_relative(root).string();
    }
    KernelFiles* files = seams_.files;
    if (files == nullptr) {
      std::vector<std::string> writable = {"/sys/devices/system/cpu/", "/proc/irq/",
                                           "/run/systemd/system.control/"};
      if (!th.cpu_mount.empty()) {
        writable.push_back(th.cpu_mount + "/");
      }
      files_ = open_kernel_files(root, std::move(writable));
      files = files_.get();
    }
    tuner_ = std::make_unique<Tuner>(*files, th);
  }
  return tuner_.get();
}

std::vector<TuningChange> NodeSession::tunings_held_by_others(const LedgerEntry* self) const {
  std::vector<TuningChange> held;
  for (const auto& e : ledger_->data().entries) {
    if (&e != self) {
      held.insert(held.end(), e.tuning_changes.begin(), e.tuning_changes.end());
    }
  }
  return held;
}

Expected<CgroupTree*> NodeSession::tree() {
  if (auto iso = isolator(); !iso) {
    return iso.error();
  }
  return tree_in_use_;
}

void NodeSession::step(const std::string& name) const {
  if (seams_.checkpoint) {
    seams_.checkpoint(name);
  }
}

Expected<void> NodeSession::save(std::string_view what) {
  step("save:" + std::string(what));
  if (seams_.fail_save && seams_.fail_save(what)) {
    return make_error("cannot record " + std::string(what) +
                      " in the ledger: No space left on device (test)");
  }
  if (auto ok = ledger_->commit(); !ok) {
    log_.error("cannot record " + std::string(what) + " in the ledger: " + ok.error().message);
    return ok.error();
  }
  step("saved:" + std::string(what));
  return {};
}

ProcessRef NodeSession::self() {
  if (seams_.self) {
    return *seams_.self;
  }
  return process(static_cast<int>(::getpid()));
}

ProcessRef NodeSession::process(int pid) {
  return ProcessRef{pid, process_start_ticks(proc(), pid).value_or(0)};
}

bool NodeSession::process_alive(const ProcessRef& p) {
  if (p.empty()) {
    return false;
  }
  const auto ticks = process_start_ticks(proc(), p.pid);
  return ticks && *ticks == p.start_ticks;
}

IsolationContext NodeSession::context_for(const LedgerEntry* self) {
  IsolationContext ctx;
  if (auto facts = host(); facts) {
    ctx.online = (*facts)->online;
    ctx.boot_isolated = (*facts)->boot_isolated;
  }
  ctx.min_housekeeping_cpus = config_.min_housekeeping_cpus;
  ctx.v1_manage_root_flag = config_.v1_manage_root_flag;
  ctx.v1_node = &ledger_->data().v1;
  for (const auto& e : ledger_->data().entries) {
    if (&e != self && e.isolation) {
      (e.state == EntryState::kReleasing ? ctx.releasing : ctx.others).push_back(*e.isolation);
    }
  }
  ctx.checkpoint = seams_.checkpoint;
  return ctx;
}

Expected<CpuSet> NodeSession::claimed_cpus(const LedgerEntry* self) {
  auto l = ledger();
  if (!l) {
    return l.error();
  }
  CpuSet claimed;
  for (const auto& e : (*l)->data().entries) {
    if (&e != self) {
      claimed |= e.cpus;
      if (e.isolation) {
        claimed |= e.isolation->cpus;
      }
      if (e.update) {
        claimed |= e.update->to;
      }
    }
  }
  if (auto facts = host(); facts) {
    claimed |= (*facts)->boot_isolated;
  }
  return claimed | isolated_by_others();
}

CpuSet NodeSession::isolated_by_others() {
  // What the kernel keeps out of balancing that no entry of ours holds (an
  // operator's partition, CRI-O's own handler): neither housekeeping nor
  // ours to take.
  auto iso = isolator();
  if (!iso) {
    return {};
  }
  const IsolationContext ctx = context_for(nullptr);
  CpuSet ours;
  for (const auto& e : ledger_->data().entries) {
    if (e.isolation) {
      ours |= e.isolation->cpus;
    }
  }
  return (*iso)->kernel_isolated(ctx) - ours;
}

bool NodeSession::undo_cpuset(LedgerEntry& entry) {
  if (!entry.isolation) {
    return true;
  }
  auto iso = isolator();
  if (!iso) {
    entry.problems.push_back("cannot release: " + iso.error().message);
    return false;
  }
  IsolationContext ctx = context_for(&entry);
  ReleaseResult result = (*iso)->release(*entry.isolation, ctx);
  for (const auto& w : ctx.warnings) {
    log_.warn(w);
  }
  for (const auto& p : result.problems) {
    log_.warn(describe(entry) + ": " + p);
  }
  entry.isolation = std::move(result.left);
  entry.problems.insert(entry.problems.end(), result.problems.begin(), result.problems.end());
  return !entry.isolation.has_value();
}

bool NodeSession::undo_tunings(LedgerEntry& entry) {
  if (entry.tuning_changes.empty()) {
    return true;
  }
  auto t = tuner();
  if (!t) {
    entry.problems.push_back("cannot restore the tunings: " + t.error().message);
    return false;
  }
  step("tunings:release");
  TuningRelease result = (*t)->release(entry.tuning_changes, tunings_held_by_others(&entry));
  for (const auto& p : result.problems) {
    log_.warn(describe(entry) + ": " + p);
  }
  entry.tuning_changes = std::move(result.left);
  entry.problems.insert(entry.problems.end(), result.problems.begin(), result.problems.end());
  return entry.tuning_changes.empty();
}

bool NodeSession::sync_irqbalance() {
  CpuSet banned;
  for (const auto& e : ledger_->data().entries) {
    for (const auto& c : e.tuning_changes) {
      if (c.knob == Knob::kIrqLoadBalancing) {
        banned |= c.cpus;
      }
    }
  }
  // Its socket only: an irqbalance without one learns the list from its
  // file at a restart, both done by `ctl reconcile` outside the node lock
  // (src/ctl/irqbalance_restart.cpp).
  const auto sockets = irqbalance_sockets(config_.host_root);
  return !sockets.empty() && tell_irqbalance_sockets(sockets, banned);
}

bool NodeSession::tell_irqbalance_sockets(const std::vector<std::string>& sockets, const CpuSet& banned) {
  std::string key;
  for (const auto& socket : sockets) {
    key += socket + " ";
  }
  key += "=" + banned.to_string();
  std::string& told = ledger_->data().irqbalance_told;
  if (key == told || (told.empty() && banned.empty())) {
    return false;  // it has this list (a restarted irqbalance has a new socket name)
  }
  const auto report = tell_irqbalance(config_.host_root, banned);
  for (const auto& p : report.problems) {
    log_.warn(p);
  }
  if (!report.problems.empty()) {
    return false;
  }
  // Recorded with the caller's next save (isolate, release), not now: a
  // save here would persist a half-done isolation or release.
  told = banned.empty() ? "" : key;
  log_.info("irqbalance: banned CPUs " + (banned.empty() ? std::string("none") : banned.to_string()));
  return true;
}

bool NodeSession::undo_kernel(LedgerEntry& entry) {
  entry.problems.clear();
  const bool had_irqs = holds_irqs(entry);
  // Tunings first: the reverse of isolate(), which applies them last.
  const bool tunings_undone = undo_tunings(entry);
  if (had_irqs) {
    (void)sync_irqbalance();
  }
  const bool cpuset_undone = undo_cpuset(entry);
  if (!tunings_undone || !cpuset_undone) {
    entry.state = EntryState::kReleasing;
    return false;
  }
  entry.state = EntryState::kDecided;
  entry.isolated_at = 0;
  return true;
}

Expected<std::vector<TuningChange>> NodeSession::plan_tunings(const LedgerEntry& entry,
                                                              const CgroupPath& cgroup) {
  if (entry.tunings.empty()) {
    return std::vector<TuningChange>{};
  }
  auto t = tuner();
  if (!t) {
    return t.error();
  }
  return (*t)->plan(entry.tunings, entry.cpus, cgroup, tunings_held_by_others(&entry), systemd_units(entry));
}

Expected<void> NodeSession::apply_tunings(LedgerEntry& entry) {
  if (entry.tuning_changes.empty()) {
    return {};
  }
  auto t = tuner();
  if (!t) {
    return t.error();
  }
  step("tunings:apply");
  auto applied = (*t)->apply(entry.tuning_changes, tunings_held_by_others(&entry));
  if (!applied) {
    return applied.error();
  }
  for (const auto& note : applied->notes) {
    log_.warn(describe(entry) + ": " + note);
  }
  entry.tuning_changes = std::move(applied->made);
  return {};
}

// Plans the cpuset isolation (when asked) and the tunings, and records the
// plan before anything is written; on failure the entry and the node record
// are as they were.  The cpuset plan, nullopt when load balancing stays on.
Expected<std::optional<Isolation>> NodeSession::record_plan(LedgerEntry& entry, Isolator& iso,
                                                            const CgroupPath& cgroup,
                                                            const CgroupPath& workload,
                                                            IsolationContext& ctx) {
  const V1NodeRecord node_before = ledger_->data().v1;
  std::optional<Isolation> plan;
  if (entry.cpuset_isolation) {
    auto planned = iso.plan(cgroup, entry.cpus, ctx);
    if (!planned) {
      ledger_->data().v1 = node_before;
      return planned.error();
    }
    plan = std::move(*planned);
  }
  auto tunings = plan_tunings(entry, workload);
  if (!tunings) {
    ledger_->data().v1 = node_before;
    return tunings.error();
  }
  entry.isolation = plan;
  entry.tuning_changes = std::move(*tunings);
  entry.state = EntryState::kIsolating;
  if (auto ok = save("an isolation plan"); !ok) {
    // Nothing is in the kernel yet: forget the plan.
    entry.isolation.reset();
    entry.tuning_changes.clear();
    entry.state = EntryState::kDecided;
    ledger_->data().v1 = node_before;
    return ok.error();
  }
  return plan;
}

Expected<void> NodeSession::isolate(std::string_view root, std::string_view id, const CgroupPath& cgroup) {
  return isolate(root, id, cgroup, cgroup);
}

Expected<void> NodeSession::isolate(std::string_view root, std::string_view id, const CgroupPath& cgroup,
                                    const CgroupPath& workload) {
  auto l = ledger();
  if (!l) {
    return l.error();
  }
  auto iso = isolator();
  if (!iso) {
    return iso.error();
  }
  LedgerEntry* entry = (*l)->find(root, id);
  if (entry == nullptr) {
    return make_error("container " + std::string(id) + " has no decision in the ledger");
  }
  IsolationContext ctx = context_for(entry);
  auto planned = record_plan(*entry, **iso, cgroup, workload, ctx);
  if (!planned) {
    return planned.error();
  }
  const std::optional<Isolation> plan = std::move(*planned);
  auto applied = plan ? (*iso)->apply(*plan, ctx) : Expected<void>();
  for (const auto& w : ctx.warnings) {
    log_.warn(w);
  }
  entry = (*l)->find(root, id);
  if (applied) {
    applied = apply_tunings(*entry);
  }
  if (!applied) {
    // apply() rolled back what it could; undo_kernel proves it (or keeps
    // what is left for later).  The node record stays release()'s: it may
    // have (re)made node-wide changes the other isolations need, or failed
    // to restore some, and the record from before the plan names neither.
    (void)undo_kernel(*entry);
    (void)save("a failed isolation's rollback");
    return applied.error();
  }
  entry->state = EntryState::kIsolated;
  entry->isolated_at = unix_seconds_now();
  if (holds_irqs(*entry)) {
    (void)sync_irqbalance();
  }
  if (auto ok = save("an isolation"); !ok) {
    // The disk still says "isolating", which the next reconcile would undo
    // under a running container: undo it now, while the caller can decide.
    const bool undone = undo_kernel(*entry);
    (void)save("an isolation undone for want of a ledger");
    return make_error(ok.error().message + (undone ? "; the isolation was undone"
                                                   : "; undoing the isolation was incomplete, see the log"));
  }
  log_.info("isolated CPUs " + entry->cpus.to_string() + " of " + describe(*entry) + " in " + cgroup.str() +
            " (" + (plan ? std::string((*iso)->name()) : "load balancing left on") +
            (entry->tunings.empty()
                 ? ""
                 : "; " + std::to_string(entry->tuning_changes.size()) + " tuning changes") +
            ")");
  return {};
}

bool NodeSession::unisolate(std::string_view root, std::string_view id) {
  auto l = ledger();
  if (!l) {
    log_.error("cannot release container " + std::string(id) + ": " + l.error().message);
    return false;
  }
  LedgerEntry* entry = (*l)->find(root, id);
  if (entry == nullptr || !holds_kernel_state(*entry)) {
    return true;
  }
  const EntryState before = entry->state;
  entry->state = EntryState::kReleasing;
  if (auto ok = save("a release"); !ok) {
    // Unrecorded, a crash mid-release would leave "isolated" on disk over a
    // released kernel: leave the kernel as it is, the caller goes on.
    entry->state = before;
    return false;
  }
  const bool done = undo_kernel(*entry);
  if (done) {
    log_.info("released CPUs " + entry->cpus.to_string() + " of " + describe(*entry));
  } else {
    log_.error("CPUs " + entry->cpus.to_string() + " of " + describe(*entry) +
               " could not all be released; kept in the ledger and retried on every call");
  }
  (void)save("a release");
  return done;
}

void NodeSession::erase(std::string_view root, std::string_view id) {
  std::erase_if(ledger_->data().entries, [&](const LedgerEntry& e) { return e.same_container(root, id); });
}

bool NodeSession::release(std::string_view root, std::string_view id) {
  if (!unisolate(root, id)) {
    return false;
  }
  auto l = ledger();
  if (!l || (*l)->find(root, id) == nullptr) {
    return true;
  }
  erase(root, id);
  (void)save("a release");
  return true;
}

bool NodeSession::v1_isolation_active() {
  auto facts = host();
  auto l = ledger();
  if (!facts || !l || (*facts)->mode != CgroupMode::kV1) {
    return false;
  }
  const auto& entries = (*l)->data().entries;
  return std::any_of(entries.begin(), entries.end(),
                     [](const LedgerEntry& e) { return e.isolation.has_value(); });
}

bool NodeSession::kernel_kept(const LedgerEntry& entry) {
  auto iso = isolator();
  return !iso || !entry.isolation || (*iso)->intact(*entry.isolation);
}

std::optional<ProcessRef> NodeSession::started_around_us(const LedgerEntry& entry) {
  if (entry.state != EntryState::kDecided || entry.init_pid > 0 || entry.runc_root == kHookRoot) {
    return std::nullopt;
  }
  auto state = read_runc_state(entry.runc_root, entry.container_id);
  if (!state || !*state || !(*state)->started) {
    return std::nullopt;
  }
  const ProcessRef init{(*state)->init_pid, (*state)->init_start_ticks};
  return process_alive(init) ? std::optional<ProcessRef>(init) : std::nullopt;
}

bool NodeSession::container_alive(const LedgerEntry& entry) {
  // The recorded process: runc's init (from start) or, for `run`, the runc
  // process itself, which lives as long as a foreground container.
  if (process_alive(ProcessRef{entry.init_pid, entry.init_start_ticks})) {
    return true;
  }
  if (entry.runc_root != kHookRoot) {
    auto state = read_runc_state(entry.runc_root, entry.container_id);
    if (state && *state && process_alive(ProcessRef{(*state)->init_pid, (*state)->init_start_ticks})) {
      return true;
    }
  }
  if (entry.init_pid > 0) {
    return false;  // started, and its init is gone
  }
  // Not created yet: alive while the wrapper that decided (now `runc
  // create`) still runs.  Pre-0.2 entries name no creator.
  if (!entry.creator.empty()) {
    return process_alive(entry.creator);
  }
  return unix_seconds_now() - entry.decided_at < kLegacyDecisionGraceSeconds;
}

// An update whose wrapper and runc child are both gone (SIGKILLed by a
// caller's timeout, most often): the container's own cpuset.cpus says which
// set it runs on now, and that set is the one to hold.
CpuSet NodeSession::update_winner(const LedgerEntry& entry, const UpdateInFlight& update,
                                  const CpuSet& fallback) {
  // A created (or de-isolated) container has its cgroup too: find it.
  auto cgroup =
      update.cgroup.empty() ? Expected<CgroupPath>(make_error("unknown")) : CgroupPath::parse(update.cgroup);
  if (!cgroup) {
    if (auto located = locate_container_cgroup(entry, *this)) {
      cgroup = located->path;
    }
  }
  auto iso = isolator();
  if (!cgroup || !iso) {
    return fallback;
  }
  auto now = (*iso)->container_cpus(*cgroup);
  if (now && (*now == update.to || *now == update.from)) {
    return *now;
  }
  return fallback;
}

void NodeSession::settle_update(const std::string& root, const std::string& id, ReconcileReport& report) {
  LedgerEntry* e = ledger_->find(root, id);
  const UpdateInFlight update = *e->update;
  if (process_alive(update.wrapper) || process_alive(update.child)) {
    return;  // still in flight
  }
  const CpuSet won = update_winner(*e, update, update.from);
  if (update.refused && won == update.to) {
    // The guardrails refused the new set ("warn" let runc move it): it is
    // not ours to claim, as finish_update would have decided.
    if (holds_kernel_state(*e) && !undo_kernel(*e)) {
      (void)save("an interrupted update's release");
      return;
    }
    erase(root, id);
    (void)save("a settled, refused update");
    ++report.settled;
    report.notes.push_back("settled an interrupted update of container " + id + ": it runs on CPUs " +
                           won.to_string() + ", which the guardrails refused; no longer tracked");
    return;
  }
  const CpuSet held = e->isolation ? e->isolation->cpus : e->cpus;
  if (holds_kernel_state(*e) && held != won && !undo_kernel(*e)) {
    (void)save("an interrupted update's release");
    return;  // retried next time, the update record kept
  }
  e->cpus = won;
  e->update.reset();
  (void)save("a settled update");
  ++report.settled;
  report.notes.push_back("settled an interrupted update of container " + id + ": it runs on CPUs " +
                         won.to_string());
}

void NodeSession::isolate_again(const std::string& root, const std::string& id, ReconcileReport& report) {
  const LedgerEntry* e = ledger_->find(root, id);
  auto located = locate_container_cgroup(*e, *this);
  Expected<void> done =
      located ? isolate(root, id, located->path, located->workload) : Expected<void>(located.error());
  if (done) {
    ++report.reisolated;
    report.notes.push_back("isolated container " + id + " again: it runs, and had lost its isolation");
  } else {
    report.notes.push_back("container " + id + " runs without isolation of CPUs " + e->cpus.to_string() +
                           " and cannot be isolated again yet: " + done.error().message);
  }
}

bool NodeSession::finish_half_done(LedgerEntry& e, bool alive, ReconcileReport& report) {
  if (e.state != EntryState::kIsolating && e.state != EntryState::kReleasing) {
    return true;
  }
  // A wrapper died mid-isolation (its `runc start` never ran), a release
  // was interrupted, or the kernel refused part of one: finish undoing.
  const std::string what = e.state == EntryState::kIsolating
                               ? "undid an interrupted isolation of container "
                               : "completed an interrupted release of container ";
  e.state = EntryState::kReleasing;
  if (!undo_kernel(e)) {
    (void)save("a retried release");
    report.notes.push_back("container " + e.container_id + ": the kernel still refuses to release all of it");
    return false;
  }
  report.notes.push_back(what + e.container_id);
  if (alive) {
    ++report.undone;
    (void)save("an undone isolation");
  }
  return true;
}

void NodeSession::keep_live_isolated(const std::string& root, const std::string& id,
                                     ReconcileReport& report) {
  LedgerEntry* e = ledger_->find(root, id);
  // A started container that lost its isolation (a failed delete, an
  // interrupted release or update, a `runc start` that went around us) is
  // isolated again; a created one keeps its decision for `start`.
  if (e->state == EntryState::kIsolated && e->isolation && !kernel_kept(*e)) {
    // The kernel undid it (a v2 partition it invalidated): make it anew.
    report.notes.push_back("container " + id + ": the kernel invalidated its isolation; making it anew");
    if (!undo_kernel(*e)) {
      (void)save("a retried release");
      return;
    }
    (void)save("an invalidated isolation's release");
  }
  if (auto init = started_around_us(*e)) {
    e->init_pid = init->pid;
    e->init_start_ticks = init->start_ticks;
    (void)save("a container started around the wrapper");
  }
  if (e->state == EntryState::kDecided && e->init_pid > 0 && config_.mode != Mode::kNever) {
    isolate_again(root, id, report);
  }
}

void NodeSession::reconcile_entry(const std::string& root, const std::string& id, ReconcileReport& report) {
  LedgerEntry* e = ledger_->find(root, id);
  if (e->update) {
    settle_update(root, id, report);
    e = ledger_->find(root, id);
    if (e == nullptr || e->update) {
      return;
    }
  }
  const bool alive = container_alive(*e);
  const bool held_kernel = holds_kernel_state(*e);
  if (!finish_half_done(*e, alive, report)) {
    return;
  }
  if (alive) {
    keep_live_isolated(root, id, report);
    return;
  }
  if (!unisolate(root, id)) {
    return;
  }
  erase(root, id);
  (void)save("a dead container's release");
  ++(held_kernel ? report.released : report.dropped);
  report.notes.push_back(
      (held_kernel ? "gave back CPUs of container " : "dropped the decision for container ") + id +
      ", which is gone");
}

// IRQs set up since a container took its CPUs out of every mask (a device
// probed, a NIC's queues re-created): recorded first, then written, as
// isolate() does.
void NodeSession::extend_irq_tunings(LedgerEntry& entry, ReconcileReport& report) {
  const auto irq = std::find_if(entry.tunings.begin(), entry.tunings.end(),
                                [](const Tuning& t) { return t.knob == Knob::kIrqLoadBalancing; });
  auto t = irq == entry.tunings.end() ? Expected<Tuner*>(make_error("none")) : tuner();
  if (!t) {
    return;
  }
  std::set<std::string> held;
  for (const auto& c : entry.tuning_changes) {
    held.insert(c.file);
  }
  // Without the others' holds first: every reconcile comes here for every
  // IRQ-holding container, and gathering ~10^5 holds each time is the cost
  // of a node with thousands of IRQs.  Only when an IRQ is new is it
  // planned again with them (a shared IRQ's original is its first holder's).
  const auto new_files = [&](const std::vector<TuningChange>& others) {
    auto planned = (*t)->plan({*irq}, entry.cpus, CgroupPath{}, others);
    std::vector<TuningChange> out;
    for (auto& c : planned ? *planned : std::vector<TuningChange>{}) {
      if (!held.contains(c.file)) {
        out.push_back(std::move(c));
      }
    }
    return out;
  };
  if (new_files({}).empty()) {
    return;
  }
  std::vector<TuningChange> fresh = new_files(tunings_held_by_others(&entry));
  if (fresh.empty()) {
    return;
  }
  const std::string who = entry.runc_root;
  const std::string id = entry.container_id;
  std::set<std::string> fresh_files;
  for (const auto& c : fresh) {
    fresh_files.insert(c.file);
  }
  const auto is_fresh = [&](const TuningChange& c) { return fresh_files.contains(c.file); };
  entry.tuning_changes.insert(entry.tuning_changes.end(), fresh.begin(), fresh.end());
  if (!save("new IRQs to hold")) {
    std::erase_if(entry.tuning_changes, is_fresh);  // unrecorded: not to be written
    return;
  }
  auto applied = (*t)->apply(fresh, tunings_held_by_others(ledger_->find(who, id)));
  LedgerEntry* e = ledger_->find(who, id);
  if (!applied) {
    // Recorded: the next reconcile writes or gives back what is left.
    report.notes.push_back("container " + id + ": new IRQs: " + applied.error().message);
    return;
  }
  std::erase_if(e->tuning_changes, is_fresh);
  e->tuning_changes.insert(e->tuning_changes.end(), applied->made.begin(), applied->made.end());
  (void)save("new IRQs held");
  report.notes.push_back("container " + id + ": " + std::to_string(fresh.size()) +
                         " IRQ(s) set up since it started are kept off CPUs " + e->cpus.to_string() +
                         " (or left to the kernel, which manages them)");
}

// An IRQ torn down while a container holds it leaves a record that restores
// nothing; kept, it would be taken for a new IRQ's under the same number
// (the old original written over the new IRQ's mask at release, or the new
// IRQ never taken).  Forgotten at each reconcile: a number torn down and
// used again between two reconciles is still mistaken (docs/OPERATIONS.md
// 8.2).
void NodeSession::forget_vanished_irqs(ReconcileReport& report) {
  const auto& entries = ledger_->data().entries;
  if (std::none_of(entries.begin(), entries.end(), [](const LedgerEntry& e) { return holds_irqs(e); })) {
    return;
  }
  auto t = tuner();
  if (!t) {
    return;
  }
  std::size_t forgotten = 0;
  for (auto& e : ledger_->data().entries) {
    if (e.state == EntryState::kIsolated) {
      forgotten += std::erase_if(e.tuning_changes, [&](const TuningChange& c) {
        return c.knob == Knob::kIrqLoadBalancing && (*t)->vanished(c);
      });
    }
  }
  if (forgotten > 0 && save("IRQs gone from the kernel")) {
    report.notes.push_back(std::to_string(forgotten) +
                           " IRQ record(s) forgotten: the kernel tore those IRQs down");
  }
}

void NodeSession::enforce_tunings(ReconcileReport& report) {
  forget_vanished_irqs(report);
  for (auto& e : ledger_->data().entries) {
    if (e.state == EntryState::kIsolated) {
      extend_irq_tunings(e, report);
    }
  }
  // A restarted irqbalance forgot the list, or a missed one is still due.
  const auto& all = ledger_->data().entries;
  const bool irqs = std::any_of(all.begin(), all.end(), [](const LedgerEntry& e) { return holds_irqs(e); });
  if ((irqs || !ledger_->data().irqbalance_told.empty()) && sync_irqbalance()) {
    (void)save("irqbalance's ban list");
  }
  std::vector<TuningChange> held;
  for (const auto& e : ledger_->data().entries) {
    if (e.state == EntryState::kIsolated) {
      held.insert(held.end(), e.tuning_changes.begin(), e.tuning_changes.end());
    }
  }
  auto t = held.empty() ? Expected<Tuner*>(make_error("none held")) : tuner();
  if (!t) {
    return;
  }
  for (const auto& note : (*t)->enforce(held)) {
    log_.warn(note);
    report.notes.push_back(note);
  }
}

void NodeSession::enforce_node(ReconcileReport& report) {
  enforce_tunings(report);
  const LedgerData& data = ledger_->data();
  const bool idle =
      std::none_of(data.entries.begin(), data.entries.end(), holds_kernel_state) && data.v1 == V1NodeRecord{};
  auto iso = idle ? Expected<Isolator*>(make_error("idle")) : isolator();
  if (!iso) {
    return;  // nothing isolated, nothing left behind: no need to probe the host
  }
  IsolationContext ctx = context_for(nullptr);
  if (ctx.others.empty() && !(*iso)->has_residue(ctx)) {
    return;
  }
  const auto before = ledger_->data().v1;
  for (const auto& note : (*iso)->enforce(ctx)) {
    log_.warn(note);
    report.notes.push_back(note);
  }
  if (!(ledger_->data().v1 == before)) {
    (void)save("enforced flags");
  }
}

ReconcileReport NodeSession::reconcile() {
  ReconcileReport report;
  auto l = ledger();
  if (!l) {
    report.notes.push_back(l.error().message);
    return report;
  }
  // Work on ids, not pointers: entries are erased on the way.
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& e : (*l)->data().entries) {
    keys.emplace_back(e.runc_root, e.container_id);
  }
  for (const auto& [root, id] : keys) {
    if ((*l)->find(root, id) != nullptr) {
      reconcile_entry(root, id, report);
    }
  }
  enforce_node(report);
  for (const auto& note : report.notes) {
    log_.info("reconcile: " + note);
  }
  return report;
}

Expected<Decision> NodeSession::decide(const ContainerSpec& spec, std::string_view root,
                                       std::string_view id) {
  const PolicyConfig policy = policy_config(config_);
  const auto unreadable = [&](std::string why) -> Expected<Decision> {
    if (auto skip = decide_without_node(spec, policy)) {
      return std::move(*skip);
    }
    return make_error(std::move(why));
  };
  auto facts = host();
  if (!facts) {
    return unreadable("cannot probe the host: " + facts.error().message);
  }
  auto l = ledger();
  if (!l) {
    return unreadable("cannot consult the ledger: " + l.error().message);
  }
  auto claimed = claimed_cpus((*l)->find(root, id));
  if (!claimed) {
    return unreadable(claimed.error().message);
  }
  return isolcpus::decide(
      spec, policy, HostCpus{.online = (*facts)->online, .isolated = *claimed, .opt_in_recorded = false});
}

Expected<void> NodeSession::record(Ledger& ledger, std::string_view root, std::string_view id,
                                   const NewDecision& decided) {
  const std::string name(id);
  if (const LedgerEntry* old = ledger.find(root, id); old != nullptr) {
    if (old->init_pid != decided.init.pid && container_alive(*old)) {
      return make_error("a live container with id " + name + " already holds CPUs " + old->cpus.to_string() +
                        "; not isolating a second container of that id");
    }
    // Left by an earlier, dead container of that name: ids are reused
    // (podman --replace, restarts).
    if (!release(root, id)) {
      return make_error("cannot isolate container " + name +
                        ": the kernel still holds CPUs of an earlier container of that id");
    }
  }
  LedgerEntry entry = decision_entry(root, id, decided);
  entry.creator = self();
  ledger.data().entries.push_back(std::move(entry));
  if (auto ok = save("an isolation decision"); !ok) {
    erase(root, id);
    return make_error("cannot record the isolation decision: " + ok.error().message);
  }
  log_.info("container " + name + ": will isolate CPUs " + decided.decision.cpus.to_string() + " (" +
            decided.decision.reason + ")");
  return {};
}

Expected<void> NodeSession::isolate_container(Ledger& ledger, std::string_view root, std::string_view id,
                                              const NewDecision* decided, const ContainerLocator& locate) {
  if (decided != nullptr) {
    if (auto recorded = record(ledger, root, id, *decided); !recorded) {
      return recorded;
    }
  }
  const std::string name(id);
  const LedgerEntry* entry = ledger.find(root, id);
  if (entry == nullptr) {
    return make_error("container " + name + " has no decision in the ledger");
  }
  if (entry->update) {
    return make_error("cannot isolate container " + name + ": a `runc update` of its CPUs is under way");
  }
  const std::string what = "cannot isolate CPUs " + entry->cpus.to_string() + " of container " + name;
  auto located = locate(*entry);
  if (!located) {
    release(root, id);
    return make_error(what + ": " + located.error().message);
  }
  if (auto done = isolate(root, id, located->cgroup, located->workload.value_or(located->cgroup)); !done) {
    release(root, id);
    return make_error(what + " in cgroup " + located->cgroup.str() + ": " + done.error().message);
  }
  if (LedgerEntry* isolated = ledger.find(root, id); isolated != nullptr && !located->init.empty()) {
    isolated->init_pid = located->init.pid;
    isolated->init_start_ticks = located->init.start_ticks;
    (void)save("the init process");
  }
  return {};
}

Released NodeSession::release_container(Ledger& ledger, std::string_view root, std::string_view id,
                                        const ReleaseRequest& request) {
  const LedgerEntry* entry = ledger.find(root, id);
  if (entry == nullptr) {
    return Released::kNothing;
  }
  const bool stopped = request.stopped_init > 0 && entry->init_pid == request.stopped_init;
  if (stopped || !container_alive(*entry)) {
    release(root, id);
    return Released::kReleased;
  }
  if (request.keep_isolation_while_alive && holds_kernel_state(*entry)) {
    return Released::kKept;
  }
  unisolate(root, id);
  return Released::kUnisolated;
}

Expected<LocatedContainer> NodeSession::locate_by_process(int pid) {
  auto facts = host();
  if (!facts) {
    return facts.error();
  }
  auto raw = process_cpuset_cgroup(proc(), pid, (*facts)->mode);
  if (!raw) {
    return make_error("cannot find its cgroup: " + raw.error().message);
  }
  auto cgroup = CgroupPath::parse(*raw);
  if (!cgroup) {
    return make_error("its cgroup \"" + *raw + "\" is not a safe path: " + cgroup.error().message);
  }
  // Its init is recorded with the decision: nothing more to learn here.
  return LocatedContainer{.cgroup = *cgroup, .init = {}, .workload = *cgroup};
}

}  // namespace isolcpus
