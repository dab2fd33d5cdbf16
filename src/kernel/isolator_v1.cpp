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

namespace isolcpus {
namespace {

constexpr std::string_view kBalancedName = "runc-isolcpus.balanced";
constexpr std::string_view kFlagFile = "cpuset.sched_load_balance";
constexpr std::string_view kCpusFile = "cpuset.cpus";
constexpr std::string_view kMemsFile = "cpuset.mems";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

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

// One cpuset as read in a walk.
struct Node {
  CgroupPath path;
  CpuSet cpus;
  bool flag = true;
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
  [[nodiscard]] bool intact(const Isolation& /*isolation*/) const override { return true; }
  [[nodiscard]] std::optional<std::string> kernel_problem(const Isolation& /*isolation*/) const override {
    return std::nullopt;  // status walks the flags itself (v1_balancing_culprits)
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
  // What plan() found the record as, so a failed apply() can put it back.
  struct Pending {
    std::string cgroup;
    CpuSet cpus;
    V1NodeRecord record_before;
  };

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
    const auto step = [&](std::string_view name) {
      if (ctx.checkpoint) {
        ctx.checkpoint(name);
      }
    };
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

  void restore_node(V1NodeRecord& record, std::vector<std::string>& problems);

  CgroupTree& tree_;
  std::optional<Pending> pending_;
};

Expected<Isolation> V1Isolator::plan(const CgroupPath& cgroup, const CpuSet& cpus, IsolationContext& ctx) {
  if (ctx.v1_node == nullptr) {
    return make_error(
        "internal error: the cgroup v1 isolator needs the node record (IsolationContext::v1_node)");
  }
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
  const CpuSet others = union_of(ctx.others);
  const CpuSet housekeeping = ctx.online - cpus - others - ctx.boot_isolated;
  auto container_flag = read_flag(cgroup);
  if (!container_flag) {
    return container_flag.error();
  }
  auto snap = snapshot();
  if (!snap) {
    return snap.error();
  }

  V1NodeRecord& record = *ctx.v1_node;
  pending_ = Pending{cgroup.str(), cpus, record};
  const CpuSet isolated = cpus | others;

  if (snap->root_flag) {
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
  if (record.balanced_cgroup.empty() && needs_balanced(*snap, housekeeping, isolated, &record)) {
    record.balanced_cgroup = std::string(kBalancedName);
  }
  for (const auto& node : snap->nodes) {
    if (!node.flag || !node.cpus.intersects(isolated) || node.path == cgroup || is_ours(node.path, &record)) {
      continue;
    }
    const auto name = node.path.str();
    const bool known = std::any_of(record.flag_changes.begin(), record.flag_changes.end(),
                                   [&](const FlagChange& change) { return change.cgroup == name; });
    if (!known) {
      record.flag_changes.push_back(FlagChange{name, true});
    }
  }

  Isolation isolation;
  isolation.isolator = std::string(kIsolatorV1);
  isolation.cgroup = cgroup.str();
  isolation.cpus = cpus;
  isolation.container_flag_original = *container_flag;
  return isolation;
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
  const V1NodeRecord& record = *ctx.v1_node;
  std::vector<Undo> journal;
  const auto fail = [&](const Error& error) -> Error {
    auto problems = rollback(journal);
    if (pending_ && pending_->cgroup == plan.cgroup && pending_->cpus == plan.cpus) {
      *ctx.v1_node = pending_->record_before;
    }
    pending_.reset();
    return make_error("isolating CPUs " + show(plan.cpus) + " of " + show(*cgroup) +
                      " failed, changes undone: " + error.message + problems);
  };
  const auto step = [&](std::string_view name) {
    if (ctx.checkpoint) {
      ctx.checkpoint(name);
    }
  };
  const CpuSet isolated = plan.cpus | union_of(ctx.others);

  // 1. Housekeeping CPUs get their domain before anything is taken away.
  if (!record.balanced_cgroup.empty()) {
    const auto housekeeping = ctx.online - isolated - ctx.boot_isolated;
    if (auto ok = ensure_balanced(balanced_path(record), housekeeping, ctx, &journal); !ok) {
      return fail(ok.error());
    }
  }

  // 2. Flag 0 on the container and every overlapping cpuset, deepest first so
  // no parent stops being a domain while a child would become one.
  std::vector<CgroupPath> targets{*cgroup};
  for (const auto& change : record.flag_changes) {
    auto path = CgroupPath::parse(change.cgroup);
    if (path && !path->is_root() && *path != *cgroup) {
      targets.push_back(*path);
    }
  }
  std::stable_sort(targets.begin(), targets.end(), [](const CgroupPath& a, const CgroupPath& b) {
    return a.parts().size() > b.parts().size();
  });
  for (const auto& target : targets) {
    const bool is_container = target == *cgroup;
    if (!is_container && !tree_.exists(target)) {
      continue;  // a pod recorded by an earlier isolation has gone since
    }
    auto flag = read_flag(target);
    if (!flag) {
      return fail(flag.error());
    }
    if (!*flag) {
      continue;
    }
    if (auto wrote = tree_.write(target, kFlagFile, "0"); !wrote) {
      return fail(wrote.error());
    }
    journal.push_back(Undo{target, std::string(kFlagFile), "1"});
    step(is_container ? "v1.container.flag" : "v1.cpuset.flag");
  }

  // 3. Root last: from here on the kernel honours the flags above.
  if (record.root_flag_original && ctx.v1_manage_root_flag) {
    auto root_flag = read_flag(CgroupPath());
    if (!root_flag) {
      return fail(root_flag.error());
    }
    if (*root_flag) {
      if (auto wrote = tree_.write(CgroupPath(), kFlagFile, "0"); !wrote) {
        return fail(wrote.error());
      }
      journal.push_back(Undo{CgroupPath(), std::string(kFlagFile), "1"});
      step("v1.root.flag");
    }
  }
  pending_.reset();
  return {};
}

ReleaseResult V1Isolator::release(const Isolation& isolation, IsolationContext& ctx) {
  ReleaseResult result;
  std::vector<std::string>& warnings = result.problems;
  V1NodeRecord scratch;
  V1NodeRecord& record = ctx.v1_node != nullptr ? *ctx.v1_node : scratch;
  const CpuSet remaining = union_of(ctx.others);
  const auto cgroup = CgroupPath::parse(isolation.cgroup);
  if (!cgroup) {
    warnings.push_back("container cgroup \"" + isolation.cgroup + "\" in the record is invalid (" +
                       cgroup.error().message + "); its cpuset flag was not restored");
  }
  // A record naming no valid cgroup cannot be retried into anything better.
  const std::size_t unfixable = warnings.size();

  // Released CPUs rejoin a domain first: grow (or create) the balanced cpuset.
  if (!ctx.others.empty()) {
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

  if (cgroup && !cgroup->is_root() && isolation.container_flag_original && tree_.exists(*cgroup)) {
    const bool original = *isolation.container_flag_original;
    auto cpus = read_cpus(*cgroup);
    auto flag = read_flag(*cgroup);
    if (original && cpus && cpus->intersects(remaining)) {
      // Flag 1 here would pull still-isolated CPUs back into a domain: keep it
      // 0 until the last isolation goes, like any other overlapping cpuset.
      const auto name = cgroup->str();
      if (std::none_of(record.flag_changes.begin(), record.flag_changes.end(),
                       [&](const FlagChange& c) { return c.cgroup == name; })) {
        record.flag_changes.push_back(FlagChange{name, true});
      }
    } else if (!flag || *flag != original) {
      if (auto wrote = tree_.write(*cgroup, kFlagFile, flag_text(original));
          !wrote && tree_.exists(*cgroup)) {
        warnings.push_back("could not restore " + tree_.describe(*cgroup, kFlagFile) + " to " +
                           flag_text(original) + ": " + wrote.error().message);
      }
    }
  }

  if (warnings.size() > unfixable) {
    result.left = isolation;  // retried whole: every step above is idempotent
  }
  if (ctx.others.empty()) {
    restore_node(record, warnings);
  }
  pending_.reset();
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
  const auto is_isolated_container = [&](const CgroupPath& cg) {
    const auto name = cg.str();
    return std::any_of(ctx.others.begin(), ctx.others.end(),
                       [&](const Isolation& iso) { return iso.cgroup == name; });
  };
  for (auto it = snap->nodes.rbegin(); it != snap->nodes.rend(); ++it) {
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
      auto& changes = ctx.v1_node->flag_changes;
      const auto name = node.path.str();
      if (std::none_of(changes.begin(), changes.end(),
                       [&](const FlagChange& c) { return c.cgroup == name; })) {
        changes.push_back(FlagChange{name, true});
      }
    }
  }
  // The operator's top-level cpusets that kept the housekeeping CPUs in a
  // domain may be gone since (a container in runc's default cgroup /<id>
  // is one): then the balanced cpuset is needed after all.
  if (ctx.v1_node != nullptr && ctx.v1_node->balanced_cgroup.empty() &&
      needs_balanced(*snap, ctx.online - isolated - ctx.boot_isolated, isolated, ctx.v1_node)) {
    ctx.v1_node->balanced_cgroup = std::string(kBalancedName);
  }
  if (ctx.v1_node != nullptr && !ctx.v1_node->balanced_cgroup.empty()) {
    // Re-asserted whole, not only when gone: a crash between its mkdir and
    // its cpus write leaves it empty, covering nothing (found by the host
    // soak, seed 4056080403 round 96).
    const auto bal = balanced_path(*ctx.v1_node);
    const bool existed = tree_.exists(bal);
    const auto housekeeping = ctx.online - isolated - ctx.boot_isolated;
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
  if (ctx.v1_node != nullptr && ctx.v1_node->root_flag_original && ctx.v1_manage_root_flag &&
      snap->root_flag) {
    if (auto wrote = tree_.write(CgroupPath(), kFlagFile, "0"); !wrote) {
      warnings.push_back("the root cpuset's sched_load_balance is back at 1, so CPUs " + show(isolated) +
                         " are balanced, and it could not be set to 0: " + wrote.error().message);
    } else {
      warnings.push_back("the root cpuset's sched_load_balance was back at 1: set it to 0 again");
    }
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

}  // namespace

std::unique_ptr<Isolator> make_v1_isolator(CgroupTree& tree) { return std::make_unique<V1Isolator>(tree); }

}  // namespace isolcpus
