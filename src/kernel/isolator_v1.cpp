// The cgroup v1 isolator: scheduler load balancing off through
// cpuset.sched_load_balance (see shared/docs/KERNEL.md "cgroup v1").
//
// The kernel's rule: CPU c is unbalanced iff the root cpuset's flag is 0 AND
// every cpuset whose cpus contain c has flag 0.  So while anything is
// isolated this isolator holds the node in this shape:
//   - root flag 0 (original kept in V1NodeRecord::root_flag_original);
//   - a task-less cpuset with flag 1 over every other CPU, so housekeeping
//     CPUs keep their domain (unless the operator's own top-level cpusets
//     already cover them);
//   - flag 0 on the container's cpuset and on every cpuset overlapping an
//     isolated CPU (originals in V1NodeRecord::flag_changes).
// The node-wide part is shared by every isolated container and undone with
// the last one.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "isolcpus/cpu_guardrails.hpp"
#include "isolcpus/isolator.hpp"
#include "isolcpus/text.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kBalancedName = "runc-isolcpus.balanced";
constexpr std::string_view kFlagFile = "cpuset.sched_load_balance";
constexpr std::string_view kCpusFile = "cpuset.cpus";
constexpr std::string_view kMemsFile = "cpuset.mems";

std::string flag_text(bool flag) { return flag ? "1" : "0"; }

std::string show(const CpuSet& cpus) { return cpus.empty() ? "(none)" : cpus.to_string(); }

std::string show(const CgroupPath& cg) { return cg.is_root() ? "the root cpuset" : "cpuset " + cg.str(); }

CpuSet union_of(const std::vector<Isolation>& isolations) {
  CpuSet all;
  for (const auto& iso : isolations) {
    all |= iso.cpus;
  }
  return all;
}

void checkpoint(IsolationContext& ctx, std::string_view step) {
  if (ctx.checkpoint) {
    ctx.checkpoint(step);
  }
}

// Records, once, that we turned cg's flag from 1 to 0.
void note_flag_change(V1NodeRecord& record, const CgroupPath& cg) {
  const auto name = cg.str();
  if (std::none_of(record.flag_changes.begin(), record.flag_changes.end(),
                   [&](const FlagChange& change) { return change.cgroup == name; })) {
    record.flag_changes.push_back(FlagChange{name, true});
  }
}

// One cpuset as read in a walk.
struct Node {
  CgroupPath path;
  CpuSet cpus;
  bool flag = true;
};

// One cpuset as status shows it: unlike Node, the root is one of them, and
// an unreadable cpuset still has its children looked at.
struct BalancingNode {
  CgroupPath path;
  std::string file;  // its sched_load_balance, for the operator
  bool flag = true;
  CpuSet cpus;
};

struct Snapshot {
  bool root_flag = true;
  std::vector<Node> nodes;  // every cpuset below the root, parents before children
};

class V1Isolator final : public Isolator {
 public:
  explicit V1Isolator(CgroupTree& tree) : tree_(tree) {}

  [[nodiscard]] std::string_view name() const override { return kIsolatorV1; }

  Expected<Isolation> plan(const CgroupPath& cgroup, const CpuSet& cpus, IsolationContext& ctx) override;
  Expected<void> apply(const Isolation& plan, IsolationContext& ctx) override;
  ReleaseResult release(const Isolation& isolation, IsolationContext& ctx) override;
  std::vector<std::string> enforce(IsolationContext& ctx) override;
  [[nodiscard]] CpuSet kernel_isolated(const IsolationContext& ctx) const override;
  [[nodiscard]] BalancingCulprits culprits(const IsolationContext& ctx) const override;
  [[nodiscard]] bool intact(const Isolation& /*isolation*/) const override { return true; }
  [[nodiscard]] std::optional<std::string> kernel_problem(const Isolation& /*isolation*/) const override {
    return std::nullopt;  // the flags themselves tell, through culprits()
  }
  [[nodiscard]] Expected<CpuSet> container_cpus(const CgroupPath& cgroup) const override {
    return read_cpus(cgroup);
  }
  [[nodiscard]] bool has_residue(const IsolationContext& ctx) const override {
    const V1NodeRecord* r = ctx.v1_node;
    return ctx.others.empty() && r != nullptr &&
           (r->root_flag_original || !r->balanced_cgroup.empty() || !r->flag_changes.empty());
  }

 private:
  // An action apply() took and how to take it back.
  struct Undo {
    CgroupPath cg;
    std::string file;   // empty: the directory was created, rmdir it
    std::string value;  // what the file held before
  };

  Expected<bool> read_flag(const CgroupPath& cg) const {
    auto text = tree_.read(cg, kFlagFile);
    if (!text) {
      return text.error();
    }
    const auto value = trim(*text);
    if (value == "0" || value == "1") {
      return value == "1";
    }
    return make_error(tree_.describe(cg, kFlagFile) + " reads \"" + std::string(value) +
                      "\", expected 0 or 1");
  }

  Expected<CpuSet> read_cpus(const CgroupPath& cg) const {
    auto text = tree_.read(cg, kCpusFile);
    if (!text) {
      return text.error();
    }
    auto cpus = CpuSet::parse(*text);
    if (!cpus) {
      return make_error(tree_.describe(cg, kCpusFile) + ": " + cpus.error().message);
    }
    return cpus;
  }

  [[nodiscard]] static CgroupPath balanced_path(const V1NodeRecord& record) {
    auto path = CgroupPath::parse(record.balanced_cgroup);
    return path ? *path : CgroupPath().child(kBalancedName);
  }

  [[nodiscard]] bool is_ours(const CgroupPath& cg, const V1NodeRecord* record) const {
    return cg == CgroupPath().child(kBalancedName) ||
           (record != nullptr && !record->balanced_cgroup.empty() && cg.str() == record->balanced_cgroup);
  }

  // One directory walk.  Cpusets that vanish or read badly mid-walk are left
  // out with their subtrees: they cannot pull CPUs back into a domain.
  [[nodiscard]] Expected<Snapshot> snapshot() const {
    Snapshot snap;
    auto root_flag = read_flag(CgroupPath());
    if (!root_flag) {
      return root_flag.error();
    }
    snap.root_flag = *root_flag;
    collect(CgroupPath(), snap.nodes);
    return snap;
  }

  void collect(const CgroupPath& parent, std::vector<Node>& out) const {
    for (const auto& child : tree_.children(parent)) {
      auto flag = read_flag(child);
      auto cpus = read_cpus(child);
      if (!flag || !cpus) {
        continue;
      }
      out.push_back(Node{child, std::move(*cpus), *flag});
      collect(child, out);
    }
  }

  // Does the operator's own layout already keep `housekeeping` balanced?
  // Only top-level cpusets count: pod cpusets come and go, and a vanished
  // one would take its CPUs' domain with it.
  [[nodiscard]] bool needs_balanced(const Snapshot& snap, const CpuSet& housekeeping, const CpuSet& isolated,
                                    const V1NodeRecord* record) const {
    CpuSet covered;
    for (const auto& node : snap.nodes) {
      if (node.path.parts().size() == 1 && node.flag && !node.cpus.intersects(isolated) &&
          !is_ours(node.path, record)) {
        covered |= node.cpus;
      }
    }
    return !covered.contains(housekeeping);
  }

  // Makes our balanced cpuset exist with exactly `cpus` and flag 1.
  Expected<void> ensure_balanced(const CgroupPath& bal, const CpuSet& cpus, IsolationContext& ctx,
                                 std::vector<Undo>* journal) {
    const auto step = [&](std::string_view name) { checkpoint(ctx, name); };
    bool fresh = false;
    if (!tree_.exists(bal)) {
      if (auto made = tree_.make(bal); !made) {
        return made.error();
      }
      if (journal != nullptr) {
        journal->push_back(Undo{bal, {}, {}});
      }
      step("v1.balanced.mkdir");
      fresh = true;
    }
    // Also when it exists: a crash right after the mkdir leaves it empty.
    if (auto own = tree_.read(bal, kMemsFile); fresh || !own || trim(*own).empty()) {
      auto mems = tree_.read(CgroupPath(), kMemsFile);
      if (!mems) {
        return mems.error();
      }
      if (auto wrote = tree_.write(bal, kMemsFile, trim(*mems)); !wrote) {
        return wrote.error();
      }
      step("v1.balanced.mems");
    }
    auto current = read_cpus(bal);
    if (!current) {
      return current.error();
    }
    if (fresh || *current != cpus) {
      if (auto wrote = tree_.write(bal, kCpusFile, cpus.to_string()); !wrote) {
        return wrote.error();
      }
      if (journal != nullptr && !fresh) {
        journal->push_back(Undo{bal, std::string(kCpusFile), current->to_string()});
      }
      step("v1.balanced.cpus");
    }
    auto flag = read_flag(bal);
    if (!flag) {
      return flag.error();
    }
    if (fresh || !*flag) {
      if (auto wrote = tree_.write(bal, kFlagFile, "1"); !wrote) {
        return wrote.error();
      }
      if (journal != nullptr && !fresh) {
        journal->push_back(Undo{bal, std::string(kFlagFile), flag_text(*flag)});
      }
      step("v1.balanced.flag");
    }
    return {};
  }

  // Takes back, newest first, what apply() did.  Returns what could not be.
  std::string rollback(const std::vector<Undo>& journal) {
    std::string problems;
    for (auto it = journal.rbegin(); it != journal.rend(); ++it) {
      auto undone = it->file.empty() ? tree_.remove(it->cg) : tree_.write(it->cg, it->file, it->value);
      if (!undone) {
        problems += "; could not undo (" + undone.error().message + ")";
      }
    }
    return problems;
  }

  [[nodiscard]] Expected<void> check_container(const CgroupPath& cgroup, const CpuSet& cpus) const;
  static Expected<void> check_cpus_free(const CpuSet& cpus, const IsolationContext& ctx);
  void plan_node_changes(const Snapshot& snap, const CgroupPath& cgroup, const CpuSet& cpus,
                         IsolationContext& ctx) const;
  static std::vector<CgroupPath> flag_targets(const V1NodeRecord& record, const CgroupPath& cgroup);
  Expected<void> clear_flags(const std::vector<CgroupPath>& targets, const CgroupPath& cgroup,
                             IsolationContext& ctx, std::vector<Undo>& journal);
  Expected<void> clear_root_flag(IsolationContext& ctx, std::vector<Undo>& journal);
  Expected<void> apply_steps(const Isolation& plan, const CgroupPath& cgroup, IsolationContext& ctx,
                             std::vector<Undo>& journal);
  void rebalance_released(const Isolation& isolation, IsolationContext& ctx, V1NodeRecord& record,
                          std::vector<std::string>& warnings);
  void restore_container_flag(const CgroupPath& cgroup, bool original, const CpuSet& remaining,
                              V1NodeRecord& record, std::vector<std::string>& warnings);
  void restore_node(V1NodeRecord& record, std::vector<std::string>& problems);
  void clear_new_flags(const Snapshot& snap, const CpuSet& isolated, IsolationContext& ctx,
                       std::vector<std::string>& warnings);
  void reassert_balanced(const Snapshot& snap, const CpuSet& isolated, IsolationContext& ctx,
                         std::vector<std::string>& warnings);
  void reassert_root_flag(const CpuSet& isolated, std::vector<std::string>& warnings);
  void collect_balancing(const CgroupPath& cg, std::vector<BalancingNode>& out) const;

  // No state between calls: plan() writes what apply() needs into the node
  // record the caller persists, and the caller (NodeSession::isolate) keeps
  // the record from before the plan to put back once a failed apply is undone.
  CgroupTree& tree_;
};

Expected<void> V1Isolator::check_container(const CgroupPath& cgroup, const CpuSet& cpus) const {
  if (cpus.empty()) {
    return make_error("no CPUs to isolate for " + show(cgroup));
  }
  if (cgroup.is_root() || !tree_.exists(cgroup)) {
    return make_error("the container's cpuset " + tree_.describe(cgroup, "") +
                      " does not exist: isolation needs the cgroup runc creates at `create`; check "
                      "linux.cgroupsPath in config.json and that the cpuset hierarchy is the one runc uses");
  }
  auto container_cpus = read_cpus(cgroup);
  if (!container_cpus) {
    return container_cpus.error();
  }
  if (!container_cpus->contains(cpus)) {
    return make_error("CPUs " + show(cpus - *container_cpus) + " are not in the container's " +
                      tree_.describe(cgroup, kCpusFile) + " (" + show(*container_cpus) +
                      "): only CPUs the container is pinned to can be isolated");
  }
  return {};
}

Expected<void> V1Isolator::check_cpus_free(const CpuSet& cpus, const IsolationContext& ctx) {
  CpuGuardrails guard{.online = ctx.online,
                      .boot_isolated = ctx.boot_isolated,
                      .holders = {},
                      .min_housekeeping_cpus = ctx.min_housekeeping_cpus};
  for (const auto& other : ctx.others) {
    guard.holders.push_back({other.cpus, "the container in cpuset " + other.cgroup});
  }
  if (auto why = guardrail_violation(cpus, guard)) {
    return make_error(*why);
  }
  return {};
}

// Writes into the node record every node-wide change apply() is to make, so
// the caller persists them before the first kernel write.
void V1Isolator::plan_node_changes(const Snapshot& snap, const CgroupPath& cgroup, const CpuSet& cpus,
                                   IsolationContext& ctx) const {
  V1NodeRecord& record = *ctx.v1_node;
  const CpuSet others = union_of(ctx.others);
  const CpuSet housekeeping = ctx.online - cpus - others - ctx.boot_isolated;
  const CpuSet isolated = cpus | others;
  if (snap.root_flag) {
    if (ctx.v1_manage_root_flag) {
      if (!record.root_flag_original) {
        record.root_flag_original = true;
      }
    } else {
      ctx.warnings.push_back("root cpuset.sched_load_balance is 1 and v1_manage_root_flag=false: CPUs " +
                             show(cpus) + " stay balanced until the node is prepared (echo 0 > " +
                             tree_.describe(CgroupPath(), kFlagFile) + ")");
    }
  }
  if (record.balanced_cgroup.empty() && needs_balanced(snap, housekeeping, isolated, &record)) {
    record.balanced_cgroup = std::string(kBalancedName);
  }
  for (const auto& node : snap.nodes) {
    if (!node.flag || !node.cpus.intersects(isolated) || node.path == cgroup || is_ours(node.path, &record)) {
      continue;
    }
    note_flag_change(record, node.path);
  }
}

Expected<Isolation> V1Isolator::plan(const CgroupPath& cgroup, const CpuSet& cpus, IsolationContext& ctx) {
  if (ctx.v1_node == nullptr) {
    return make_error(
        "internal error: the cgroup v1 isolator needs the node record (IsolationContext::v1_node)");
  }
  if (auto ok = check_container(cgroup, cpus); !ok) {
    return ok.error();
  }
  if (auto ok = check_cpus_free(cpus, ctx); !ok) {
    return ok.error();
  }
  auto container_flag = read_flag(cgroup);
  if (!container_flag) {
    return container_flag.error();
  }
  auto snap = snapshot();
  if (!snap) {
    return snap.error();
  }
  plan_node_changes(*snap, cgroup, cpus, ctx);

  Isolation isolation;
  isolation.isolator = std::string(kIsolatorV1);
  isolation.cgroup = cgroup.str();
  isolation.cpus = cpus;
  isolation.changes = V1Changes{*container_flag};
  return isolation;
}

// The container and every recorded overlapping cpuset, deepest first so no
// parent stops being a domain while a child would become one.
std::vector<CgroupPath> V1Isolator::flag_targets(const V1NodeRecord& record, const CgroupPath& cgroup) {
  std::vector<CgroupPath> targets{cgroup};
  for (const auto& change : record.flag_changes) {
    auto path = CgroupPath::parse(change.cgroup);
    if (path && !path->is_root() && *path != cgroup) {
      targets.push_back(*path);
    }
  }
  std::stable_sort(targets.begin(), targets.end(), [](const CgroupPath& a, const CgroupPath& b) {
    return a.parts().size() > b.parts().size();
  });
  return targets;
}

Expected<void> V1Isolator::clear_flags(const std::vector<CgroupPath>& targets, const CgroupPath& cgroup,
                                       IsolationContext& ctx, std::vector<Undo>& journal) {
  for (const auto& target : targets) {
    const bool is_container = target == cgroup;
    if (!is_container && !tree_.exists(target)) {
      continue;  // a pod recorded by an earlier isolation has gone since
    }
    auto flag = read_flag(target);
    if (!flag) {
      return flag.error();
    }
    if (!*flag) {
      continue;
    }
    if (auto wrote = tree_.write(target, kFlagFile, "0"); !wrote) {
      return wrote.error();
    }
    journal.push_back(Undo{target, std::string(kFlagFile), "1"});
    checkpoint(ctx, is_container ? "v1.container.flag" : "v1.cpuset.flag");
  }
  return {};
}

Expected<void> V1Isolator::clear_root_flag(IsolationContext& ctx, std::vector<Undo>& journal) {
  auto root_flag = read_flag(CgroupPath());
  if (!root_flag) {
    return root_flag.error();
  }
  if (*root_flag) {
    if (auto wrote = tree_.write(CgroupPath(), kFlagFile, "0"); !wrote) {
      return wrote.error();
    }
    journal.push_back(Undo{CgroupPath(), std::string(kFlagFile), "1"});
    checkpoint(ctx, "v1.root.flag");
  }
  return {};
}

Expected<void> V1Isolator::apply_steps(const Isolation& plan, const CgroupPath& cgroup, IsolationContext& ctx,
                                       std::vector<Undo>& journal) {
  const V1NodeRecord& record = *ctx.v1_node;
  const CpuSet isolated = plan.cpus | union_of(ctx.others);
  // 1. Housekeeping CPUs get their domain before anything is taken away.
  if (!record.balanced_cgroup.empty()) {
    const auto housekeeping = ctx.online - isolated - ctx.boot_isolated;
    if (auto ok = ensure_balanced(balanced_path(record), housekeeping, ctx, &journal); !ok) {
      return ok;
    }
  }
  // 2. Flag 0 on the container and every overlapping cpuset.
  if (auto ok = clear_flags(flag_targets(record, cgroup), cgroup, ctx, journal); !ok) {
    return ok;
  }
  // 3. Root last: from here on the kernel honours the flags above.
  if (record.root_flag_original && ctx.v1_manage_root_flag) {
    return clear_root_flag(ctx, journal);
  }
  return {};
}

Expected<void> V1Isolator::apply(const Isolation& plan, IsolationContext& ctx) {
  if (ctx.v1_node == nullptr) {
    return make_error(
        "internal error: the cgroup v1 isolator needs the node record (IsolationContext::v1_node)");
  }
  auto cgroup = CgroupPath::parse(plan.cgroup);
  if (!cgroup) {
    return make_error("container cgroup \"" + plan.cgroup + "\": " + cgroup.error().message);
  }
  std::vector<Undo> journal;
  auto applied = apply_steps(plan, *cgroup, ctx, journal);
  if (!applied) {
    auto problems = rollback(journal);
    return make_error("isolating CPUs " + show(plan.cpus) + " of " + show(*cgroup) +
                      " failed, changes undone: " + applied.error().message + problems);
  }
  return {};
}

// Released CPUs rejoin a domain first: grow (or create) the balanced cpuset.
void V1Isolator::rebalance_released(const Isolation& isolation, IsolationContext& ctx, V1NodeRecord& record,
                                    std::vector<std::string>& warnings) {
  const CpuSet remaining = union_of(ctx.others);
  const auto housekeeping = ctx.online - remaining - ctx.boot_isolated;
  if (record.balanced_cgroup.empty()) {
    auto snap = snapshot();
    if (!snap || needs_balanced(*snap, housekeeping, remaining, &record)) {
      record.balanced_cgroup = std::string(kBalancedName);
    }
  }
  // An empty name here means the operator's top-level cpusets cover them.
  if (!record.balanced_cgroup.empty()) {
    if (auto ok = ensure_balanced(balanced_path(record), housekeeping, ctx, nullptr); !ok) {
      warnings.push_back("could not give CPUs " + show(isolation.cpus) +
                         " back to the scheduler's balanced cpuset: " + ok.error().message);
    }
  }
}

void V1Isolator::restore_container_flag(const CgroupPath& cgroup, bool original, const CpuSet& remaining,
                                        V1NodeRecord& record, std::vector<std::string>& warnings) {
  auto cpus = read_cpus(cgroup);
  auto flag = read_flag(cgroup);
  if (original && cpus && cpus->intersects(remaining)) {
    // Flag 1 here would pull still-isolated CPUs back into a domain: keep it
    // 0 until the last isolation goes, like any other overlapping cpuset.
    note_flag_change(record, cgroup);
  } else if (!flag || *flag != original) {
    if (auto wrote = tree_.write(cgroup, kFlagFile, flag_text(original)); !wrote && tree_.exists(cgroup)) {
      warnings.push_back("could not restore " + tree_.describe(cgroup, kFlagFile) + " to " +
                         flag_text(original) + ": " + wrote.error().message);
    }
  }
}

ReleaseResult V1Isolator::release(const Isolation& isolation, IsolationContext& ctx) {
  ReleaseResult result;
  std::vector<std::string>& warnings = result.problems;
  V1NodeRecord scratch;
  V1NodeRecord& record = ctx.v1_node != nullptr ? *ctx.v1_node : scratch;
  const auto cgroup = CgroupPath::parse(isolation.cgroup);
  if (!cgroup) {
    warnings.push_back("container cgroup \"" + isolation.cgroup + "\" in the record is invalid (" +
                       cgroup.error().message + "); its cpuset flag was not restored");
  }
  // A record naming no valid cgroup cannot be retried into anything better.
  const std::size_t unfixable = warnings.size();

  if (!ctx.others.empty()) {
    rebalance_released(isolation, ctx, record, warnings);
  }
  const auto flag_original = changes_of<V1Changes>(isolation).container_flag_original;
  if (cgroup && !cgroup->is_root() && flag_original && tree_.exists(*cgroup)) {
    restore_container_flag(*cgroup, *flag_original, union_of(ctx.others), record, warnings);
  }
  if (warnings.size() > unfixable) {
    result.left = isolation;  // retried whole: every step above is idempotent
  }
  if (ctx.others.empty()) {
    restore_node(record, warnings);
  }
  return result;
}

// Last one out: put the node back as we found it.  Whatever cannot be
// restored stays in the record, and enforce() retries it on every call.
void V1Isolator::restore_node(V1NodeRecord& record, std::vector<std::string>& warnings) {
  std::vector<FlagChange> kept;
  for (const auto& change : record.flag_changes) {
    auto path = CgroupPath::parse(change.cgroup);
    if (!path || !tree_.exists(*path)) {
      continue;
    }
    auto flag = read_flag(*path);
    if (flag && *flag == change.original) {
      continue;
    }
    if (auto wrote = tree_.write(*path, kFlagFile, flag_text(change.original)); !wrote) {
      if (tree_.exists(*path)) {
        warnings.push_back("could not restore " + tree_.describe(*path, kFlagFile) + " to " +
                           flag_text(change.original) + ": " + wrote.error().message);
        kept.push_back(change);
      }
    }
  }
  record.flag_changes = std::move(kept);

  if (record.root_flag_original) {
    const bool original = *record.root_flag_original;
    auto flag = read_flag(CgroupPath());
    Expected<void> restored;
    if (!flag || *flag != original) {
      restored = tree_.write(CgroupPath(), kFlagFile, flag_text(original));
    }
    if (restored) {
      record.root_flag_original.reset();
    } else {
      warnings.push_back("could not restore " + tree_.describe(CgroupPath(), kFlagFile) + " to " +
                         flag_text(original) + ": " + restored.error().message);
    }
  }

  if (!record.balanced_cgroup.empty()) {
    const auto bal = balanced_path(record);
    Expected<void> removed;
    if (tree_.exists(bal)) {
      removed = tree_.remove(bal);
    }
    if (removed || !tree_.exists(bal)) {
      record.balanced_cgroup.clear();
    } else {
      warnings.push_back("could not remove the balanced cpuset " + tree_.describe(bal, "") + ": " +
                         removed.error().message + " (move any task out of it and rmdir it)");
    }
  }
}

// A cpuset made since (a new pod) with flag 1 over isolated CPUs would pull
// them back into a domain: clear it, and record it unless it is a container
// whose own isolation restores it.
void V1Isolator::clear_new_flags(const Snapshot& snap, const CpuSet& isolated, IsolationContext& ctx,
                                 std::vector<std::string>& warnings) {
  const auto is_isolated_container = [&](const CgroupPath& cg) {
    const auto name = cg.str();
    return std::any_of(ctx.others.begin(), ctx.others.end(),
                       [&](const Isolation& iso) { return iso.cgroup == name; });
  };
  for (auto it = snap.nodes.rbegin(); it != snap.nodes.rend(); ++it) {
    const auto& node = *it;
    if (!node.flag || !node.cpus.intersects(isolated) || is_ours(node.path, ctx.v1_node)) {
      continue;
    }
    if (auto wrote = tree_.write(node.path, kFlagFile, "0"); !wrote) {
      if (tree_.exists(node.path)) {
        warnings.push_back("cpuset " + node.path.str() + " (cpus " + show(node.cpus) +
                           ") keeps isolated CPUs " + show(node.cpus & isolated) +
                           " balanced and its flag could not be cleared: " + wrote.error().message);
      }
      continue;
    }
    warnings.push_back("cpuset " + node.path.str() + " (cpus " + show(node.cpus) +
                       ") appeared with sched_load_balance=1 over isolated CPUs " +
                       show(node.cpus & isolated) + ": set it to 0");
    if (ctx.v1_node != nullptr && !is_isolated_container(node.path)) {
      note_flag_change(*ctx.v1_node, node.path);
    }
  }
}

void V1Isolator::reassert_balanced(const Snapshot& snap, const CpuSet& isolated, IsolationContext& ctx,
                                   std::vector<std::string>& warnings) {
  const auto housekeeping = ctx.online - isolated - ctx.boot_isolated;
  // The operator's top-level cpusets that kept the housekeeping CPUs in a
  // domain may be gone since (a container in runc's default cgroup /<id>
  // is one): then the balanced cpuset is needed after all.
  if (ctx.v1_node->balanced_cgroup.empty() && needs_balanced(snap, housekeeping, isolated, ctx.v1_node)) {
    ctx.v1_node->balanced_cgroup = std::string(kBalancedName);
  }
  if (ctx.v1_node->balanced_cgroup.empty()) {
    return;
  }
  // Re-asserted whole, not only when gone: a crash between its mkdir and
  // its cpus write leaves it empty, covering nothing (found by the host
  // soak, seed 4056080403 round 96).
  const auto bal = balanced_path(*ctx.v1_node);
  const bool existed = tree_.exists(bal);
  const auto before = existed ? read_cpus(bal) : Expected<CpuSet>(CpuSet{});
  if (auto ok = ensure_balanced(bal, housekeeping, ctx, nullptr); !ok) {
    warnings.push_back("the balanced cpuset " + tree_.describe(bal, "") +
                       " does not keep the housekeeping CPUs in a scheduler domain, and it could not be "
                       "made to: " +
                       ok.error().message);
  } else if (!existed || !before || *before != housekeeping) {
    warnings.push_back("the balanced cpuset " + tree_.describe(bal, "") +
                       (existed ? " was wrong" : " was gone") + ": set it over CPUs " + show(housekeeping));
  }
}

void V1Isolator::reassert_root_flag(const CpuSet& isolated, std::vector<std::string>& warnings) {
  if (auto wrote = tree_.write(CgroupPath(), kFlagFile, "0"); !wrote) {
    warnings.push_back("the root cpuset's sched_load_balance is back at 1, so CPUs " + show(isolated) +
                       " are balanced, and it could not be set to 0: " + wrote.error().message);
  } else {
    warnings.push_back("the root cpuset's sched_load_balance was back at 1: set it to 0 again");
  }
}

std::vector<std::string> V1Isolator::enforce(IsolationContext& ctx) {
  std::vector<std::string> warnings;
  if (ctx.others.empty()) {
    if (has_residue(ctx)) {
      restore_node(*ctx.v1_node, warnings);
    }
    return warnings;
  }
  const CpuSet isolated = union_of(ctx.others);
  auto snap = snapshot();
  if (!snap) {
    warnings.push_back("could not check the cpuset hierarchy: " + snap.error().message);
    return warnings;
  }
  clear_new_flags(*snap, isolated, ctx, warnings);
  if (ctx.v1_node == nullptr) {
    return warnings;
  }
  reassert_balanced(*snap, isolated, ctx, warnings);
  if (ctx.v1_node->root_flag_original && ctx.v1_manage_root_flag && snap->root_flag) {
    reassert_root_flag(isolated, warnings);
  }
  return warnings;
}

CpuSet V1Isolator::kernel_isolated(const IsolationContext& ctx) const {
  auto snap = snapshot();
  if (!snap || snap->root_flag) {
    return {};
  }
  // Top-down, the first flag-1 cpuset with CPUs on each path is a domain
  // candidate and hides its subtree (nodes are in pre-order).
  CpuSet balanced;
  std::optional<CgroupPath> candidate;
  for (const auto& node : snap->nodes) {
    if (candidate && node.path.is_within(*candidate)) {
      continue;
    }
    candidate.reset();
    if (node.flag && !node.cpus.empty()) {
      balanced |= node.cpus;
      candidate = node.path;
    }
  }
  return ctx.online - balanced;
}

void V1Isolator::collect_balancing(const CgroupPath& cg, std::vector<BalancingNode>& out) const {
  auto flag = tree_.read(cg, kFlagFile);
  auto cpus = tree_.read(cg, kCpusFile);
  if (flag && cpus) {
    auto parsed = CpuSet::parse(*cpus);
    out.push_back(BalancingNode{cg, tree_.describe(cg, kFlagFile), trim_right(*flag) != "0",
                                parsed ? *parsed : CpuSet{}});
  }
  for (const auto& child : tree_.children(cg)) {
    collect_balancing(child, out);
  }
}

BalancingCulprits V1Isolator::culprits(const IsolationContext& /*ctx*/) const {
  std::vector<BalancingNode> nodes;
  collect_balancing(CgroupPath(), nodes);
  // The kernel's rule (rebuild_sched_domains): walking top-down, a cpuset with
  // sched_load_balance 1 makes one domain of all its CPUs and its children's
  // flags no longer matter.
  BalancingCulprits out;
  std::optional<CgroupPath> domain;
  for (const auto& node : nodes) {
    if (domain && node.path.is_within(*domain)) {
      continue;
    }
    domain.reset();
    if (node.flag && !node.cpus.empty()) {
      for (unsigned cpu : node.cpus.cpus()) {
        out[cpu].push_back(node.file);
      }
      domain = node.path;
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<Isolator> make_v1_isolator(CgroupTree& tree) { return std::make_unique<V1Isolator>(tree); }

}  // namespace isolcpus
