#include "node_session.hpp"

#include <algorithm>
#include <chrono>

#include "fault.hpp"
#include "runc_state.hpp"

namespace isolcpus {
namespace {

// A decision recorded by `create` whose container has not appeared in runc's
// state yet is kept this long before reconcile drops it: `runc create` is
// still running (or failed, and nobody will call delete).
constexpr std::int64_t kDecisionGraceSeconds = 120;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string describe(const LedgerEntry& e) {
  std::string s = "container " + e.container_id;
  if (!e.pod_name.empty()) {
    s += " (pod " + e.pod_namespace + "/" + e.pod_name +
         (e.container_name.empty() ? "" : ", " + e.container_name) + ")";
  }
  return s;
}

}  // namespace

NodeSession::NodeSession(const Config& config, Log& log) : config_(config), log_(log) {}

std::filesystem::path NodeSession::proc() const { return std::filesystem::path(config_.host_root) / "proc"; }

Expected<Ledger*> NodeSession::ledger() {
  if (!ledger_) {
    auto opened = Ledger::open(config_.state_dir, config_.lock_timeout);
    if (!opened) {
      return opened.error();
    }
    ledger_.emplace(std::move(*opened));
  }
  return &*ledger_;
}

Expected<const HostFacts*> NodeSession::host() {
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
    tree_ = open_cgroup_tree((*facts)->cpuset_mount);
    auto made = make_isolator(**facts, *tree_);
    if (!made) {
      return made.error();
    }
    isolator_ = std::move(*made);
  }
  return isolator_.get();
}

Expected<CgroupTree*> NodeSession::tree() {
  if (auto iso = isolator(); !iso) {
    return iso.error();
  }
  return tree_.get();
}

void NodeSession::persist(std::string_view what) {
  if (auto ok = ledger_->commit(); !ok) {
    log_.error("cannot record " + std::string(what) + " in the ledger: " + ok.error().message);
  }
}

IsolationContext NodeSession::context_for(const LedgerEntry* self) {
  IsolationContext ctx;
  if (host_) {
    ctx.online = host_->online;
    ctx.boot_isolated = host_->boot_isolated;
  }
  ctx.min_housekeeping_cpus = config_.min_housekeeping_cpus;
  ctx.v1_manage_root_flag = config_.v1_manage_root_flag;
  ctx.v1_node = &ledger_->data().v1;
  for (const auto& e : ledger_->data().entries) {
    if (&e != self && e.isolation) {
      ctx.others.push_back(*e.isolation);
    }
  }
  ctx.checkpoint = fault_checkpoint();
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
    }
  }
  if (auto facts = host(); facts) {
    claimed |= (*facts)->boot_isolated;
  }
  return claimed;
}

Expected<void> NodeSession::isolate(std::string_view root, std::string_view id, const CgroupPath& cgroup) {
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
  const V1NodeRecord node_before = (*l)->data().v1;
  IsolationContext ctx = context_for(entry);
  auto plan = (*iso)->plan(cgroup, entry->cpus, ctx);
  if (!plan) {
    (*l)->data().v1 = node_before;
    return plan.error();
  }
  entry->isolation = *plan;
  entry->state = EntryState::kIsolating;
  if (auto ok = (*l)->commit(); !ok) {
    entry->isolation.reset();
    entry->state = EntryState::kDecided;
    (*l)->data().v1 = node_before;
    return ok.error();
  }
  auto applied = (*iso)->apply(*plan, ctx);
  for (const auto& w : ctx.warnings) {
    log_.warn(w);
  }
  if (!applied) {
    // apply() rolled the kernel back to where plan() found it, so the node
    // record from before the plan is the truth again.
    entry->isolation.reset();
    entry->state = EntryState::kDecided;
    (*l)->data().v1 = node_before;
    persist("a failed isolation's rollback");
    return applied.error();
  }
  entry->state = EntryState::kIsolated;
  entry->isolated_at = now_seconds();
  persist("an isolation");
  log_.info("isolated CPUs " + entry->cpus.to_string() + " of " + describe(*entry) + " in " + plan->cgroup +
            " (" + std::string((*iso)->name()) + ")");
  return {};
}

void NodeSession::unisolate(std::string_view root, std::string_view id) {
  auto l = ledger();
  if (!l) {
    log_.error("cannot release container " + std::string(id) + ": " + l.error().message);
    return;
  }
  LedgerEntry* entry = (*l)->find(root, id);
  if (entry == nullptr || !entry->isolation) {
    return;
  }
  auto iso = isolator();
  if (!iso) {
    log_.error("cannot release CPUs " + entry->cpus.to_string() + " of " + describe(*entry) + ": " +
               iso.error().message);
    return;
  }
  entry->state = EntryState::kReleasing;
  persist("a release");
  IsolationContext ctx = context_for(entry);
  for (const auto& w : (*iso)->release(*entry->isolation, ctx)) {
    log_.warn(w);
  }
  log_.info("released CPUs " + entry->cpus.to_string() + " of " + describe(*entry));
  entry->isolation.reset();
  entry->state = EntryState::kDecided;
  entry->isolated_at = 0;
  persist("a release");
}

void NodeSession::release(std::string_view root, std::string_view id) {
  unisolate(root, id);
  auto l = ledger();
  if (!l) {
    return;
  }
  const LedgerEntry* entry = (*l)->find(root, id);
  if (entry == nullptr || entry->isolation) {
    return;  // unknown, or the kernel side could not be released: keep the record
  }
  std::erase_if((*l)->data().entries, [&](const LedgerEntry& e) { return e.same_container(root, id); });
  persist("a release");
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

bool NodeSession::container_alive(const LedgerEntry& entry) {
  // The recorded process: runc's init (from start) or, for `run`, the runc
  // process itself, which lives as long as a foreground container.
  if (entry.init_pid > 0) {
    const auto ticks = process_start_ticks(proc(), entry.init_pid);
    if (ticks && *ticks == entry.init_start_ticks) {
      return true;
    }
  }
  auto state = read_runc_state(entry.runc_root, entry.container_id);
  if (state && *state) {
    const auto ticks = process_start_ticks(proc(), (*state)->init_pid);
    return ticks && *ticks == (*state)->init_start_ticks;
  }
  // Not in runc's state: alive only while `runc create` may still be on its
  // way (a decision recorded moments ago, nothing started yet).
  return entry.state == EntryState::kDecided && entry.init_pid == 0 &&
         now_seconds() - entry.decided_at < kDecisionGraceSeconds;
}

ReconcileReport NodeSession::reconcile() {
  ReconcileReport report;
  auto l = ledger();
  if (!l) {
    report.notes.push_back(l.error().message);
    return report;
  }
  // Work on ids, not pointers: release() erases entries.
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& e : (*l)->data().entries) {
    keys.emplace_back(e.runc_root, e.container_id);
  }
  for (const auto& [root, id] : keys) {
    LedgerEntry* e = (*l)->find(root, id);
    if (e == nullptr) {
      continue;
    }
    switch (e->state) {
      case EntryState::kReleasing:
        release(root, id);
        ++report.released;
        report.notes.push_back("completed an interrupted release of container " + id);
        break;
      case EntryState::kIsolating: {
        // A wrapper died mid-isolation, so its `runc start` never ran: undo,
        // and leave the decision for a retried start.
        auto iso = isolator();
        if (!iso) {
          report.notes.push_back("cannot undo half-done isolation of " + id + ": " + iso.error().message);
          break;
        }
        IsolationContext ctx = context_for(e);
        for (const auto& w : (*iso)->release(*e->isolation, ctx)) {
          log_.warn(w);
        }
        e->isolation.reset();
        e->state = EntryState::kDecided;
        persist("an undone isolation");
        ++report.undone;
        report.notes.push_back("undid an interrupted isolation of container " + id);
        break;
      }
      case EntryState::kIsolated:
        if (!container_alive(*e)) {
          release(root, id);
          ++report.released;
          report.notes.push_back("released CPUs of container " + id + ", which is gone");
        }
        break;
      case EntryState::kDecided:
        if (!container_alive(*e)) {
          std::erase_if((*l)->data().entries,
                        [&r = root, &i = id](const LedgerEntry& x) { return x.same_container(r, i); });
          persist("a dropped decision");
          ++report.dropped;
          report.notes.push_back("dropped the decision for container " + id + ", which never started");
        }
        break;
    }
  }
  const bool any_isolated = std::any_of((*l)->data().entries.begin(), (*l)->data().entries.end(),
                                        [](const LedgerEntry& e) { return e.isolation.has_value(); });
  if (any_isolated) {
    if (auto iso = isolator(); iso) {
      IsolationContext ctx = context_for(nullptr);
      const auto before = (*l)->data().v1;
      for (const auto& note : (*iso)->enforce(ctx)) {
        log_.warn(note);
        report.notes.push_back(note);
      }
      if (!((*l)->data().v1 == before)) {
        persist("enforced flags");
      }
    }
  }
  for (const auto& note : report.notes) {
    log_.info("reconcile: " + note);
  }
  return report;
}

}  // namespace isolcpus
