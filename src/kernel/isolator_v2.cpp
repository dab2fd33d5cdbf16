// cgroup v2 isolator: makes the container's cgroup a REMOTE `isolated`
// partition (kernel 6.7+).  The CPUs are claimed in cpuset.cpus.exclusive of
// every ancestor top-down, then in the container's own, then the partition is
// switched and read back (the kernel accepts invalid partitions silently).
// See docs KERNEL.md "cgroup v2".
#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "isolcpus/cpu_guardrails.hpp"
#include "isolcpus/isolator.hpp"
#include "isolcpus/text.hpp"

namespace isolcpus {

namespace {

constexpr std::string_view kExclusive = "cpuset.cpus.exclusive";
constexpr std::string_view kPartition = "cpuset.cpus.partition";
constexpr std::string_view kCpus = "cpuset.cpus";
constexpr std::string_view kRootIsolated = "cpuset.cpus.isolated";
constexpr std::string_view kSubtreeControl = "cgroup.subtree_control";
constexpr std::string_view kProcs = "cgroup.procs";
// A root-level cgroup that exists only while release() makes the kernel
// rebuild its sched domains (record_rebuild, finish_rebuild below).
constexpr std::string_view kRebuildName = "runc-isolcpus.rebuild";

// How an empty set must be written: an empty write(2) leaves
// cpuset.cpus.exclusive unchanged, a lone newline clears it.
std::string cpus_value(const CpuSet& cpus) { return cpus.empty() ? std::string("\n") : cpus.to_string(); }

std::string shown(const CpuSet& cpus) { return cpus.empty() ? std::string("(none)") : cpus.to_string(); }

std::string cg_name(const CgroupPath& cg) { return cg.is_root() ? std::string("/") : cg.str(); }

// What release_container() found and did.
struct ContainerRelease {
  bool done = true;   // every write it needed was accepted
  bool gone = false;  // the cgroup was already removed
};

// One kernel write done by apply(), with what to put back on rollback.
struct UndoStep {
  CgroupPath cg;
  std::string file;
  std::string previous;
};

class V2Isolator final : public Isolator {
 public:
  V2Isolator(CgroupTree& tree, KernelVersion kernel) : tree_(tree), kernel_(std::move(kernel)) {}

  [[nodiscard]] std::string_view name() const override { return kIsolatorV2; }

  Expected<Isolation> plan(const CgroupPath& cgroup, const CpuSet& cpus, IsolationContext& ctx) override;
  Expected<void> apply(const Isolation& plan, IsolationContext& ctx) override;
  ReleaseResult release(const Isolation& isolation, IsolationContext& ctx) override;
  [[nodiscard]] bool intact(const Isolation& isolation) const override;
  [[nodiscard]] std::optional<std::string> kernel_problem(const Isolation& isolation) const override;
  [[nodiscard]] BalancingCulprits culprits(const IsolationContext& ctx) const override;
  [[nodiscard]] Expected<CpuSet> container_cpus(const CgroupPath& cgroup) const override {
    return read_cpus(cgroup, kCpus);
  }
  [[nodiscard]] bool has_residue(const IsolationContext& /*ctx*/) const override { return false; }

  std::vector<std::string> enforce(IsolationContext& /*ctx*/) override { return {}; }

  [[nodiscard]] CpuSet kernel_isolated(const IsolationContext& ctx) const override;

 private:
  [[nodiscard]] Expected<CpuSet> read_cpus(const CgroupPath& cg, std::string_view file) const;
  static void checkpoint(IsolationContext& ctx, const std::string& step);
  [[nodiscard]] Expected<void> check_subtree_control(const CgroupPath& cgroup) const;
  [[nodiscard]] Expected<void> check_exclusive_support(const CgroupPath& cgroup) const;
  [[nodiscard]] Expected<void> check_no_partition_ancestor(const CgroupPath& cgroup) const;
  [[nodiscard]] Expected<void> check_cpus_free(const CgroupPath& cgroup, const CpuSet& cpus,
                                               const IsolationContext& ctx) const;
  [[nodiscard]] Expected<void> check_siblings(const CgroupPath& cgroup, const CpuSet& cpus) const;
  [[nodiscard]] Expected<void> check_own_cpus_rule(const CgroupPath& cg, const CpuSet& exclusive) const;
  static CpuSet needed_by_others(const CgroupPath& ancestor, const Isolation& self,
                                 const IsolationContext& ctx);
  ContainerRelease release_container(const CgroupPath& cgroup, std::vector<std::string>& problems);
  static CgroupPath rebuild_cgroup() { return *CgroupPath::parse(kRebuildName); }

  [[nodiscard]] bool partition_invalid(const CgroupPath& cg) const {
    auto partition = tree_.exists(cg) ? tree_.read(cg, kPartition) : Expected<std::string>(std::string());
    return partition && trim(*partition).find("invalid") != std::string_view::npos;
  }
  [[nodiscard]] CpuSet leaked_cpus(const CpuSet& cpus) const;

  // Ours only while empty: a cgroup of that name with tasks or children was
  // made by someone else (a container's cgroupsPath), and is left alone.
  [[nodiscard]] bool rebuild_cgroup_ours(const CgroupPath& cg) const {
    auto procs = tree_.read(cg, kProcs);
    return procs && trim(*procs).empty() && tree_.children(cg).empty();
  }
  bool record_rebuild(const CpuSet& cpus, std::vector<std::string>& problems);
  bool finish_rebuild(IsolationContext& ctx, std::vector<std::string>& problems);
  bool clear_cpus(const CgroupPath& cg, const CpuSet& cpus, std::vector<std::string>& problems);
  std::vector<std::string> roll_back(const std::vector<UndoStep>& undo);
  Expected<void> claim_ancestors(const Isolation& plan, IsolationContext& ctx, std::vector<UndoStep>& undo);
  Expected<void> claim_own(const CgroupPath& cgroup, const CpuSet& cpus, IsolationContext& ctx,
                           std::vector<UndoStep>& undo);
  Expected<void> make_partition(const CgroupPath& cgroup, const CpuSet& cpus, IsolationContext& ctx,
                                std::vector<UndoStep>& undo);

  CgroupTree& tree_;
  KernelVersion kernel_;
};

Expected<Isolation> V2Isolator::plan(const CgroupPath& cgroup, const CpuSet& cpus, IsolationContext& ctx) {
  if (cpus.empty()) {
    return make_error("no CPUs to isolate for cgroup " + cg_name(cgroup));
  }
  if (cgroup.is_root()) {
    return make_error("refusing to make the root cgroup " + tree_.describe(cgroup, "") +
                      " an isolated partition: the container must have its own cgroup");
  }
  if (cgroup.parts().front() == kRebuildName) {
    return make_error("refusing to isolate " + tree_.describe(cgroup, "") +
                      ": runc-isolcpus keeps the name " + std::string(kRebuildName) +
                      " for its own use; give the container another cgroupsPath");
  }
  if (!tree_.exists(cgroup)) {
    return make_error("container cgroup " + tree_.describe(cgroup, "") +
                      " does not exist; is linux.cgroupsPath (and the cgroup driver) right?");
  }
  if (auto ok = check_subtree_control(cgroup); !ok) {
    return ok.error();
  }
  if (auto ok = check_exclusive_support(cgroup); !ok) {
    return ok.error();
  }
  if (auto ok = check_no_partition_ancestor(cgroup); !ok) {
    return ok.error();
  }
  if (auto ok = check_cpus_free(cgroup, cpus, ctx); !ok) {
    return ok.error();
  }
  if (auto ok = check_siblings(cgroup, cpus); !ok) {
    return ok.error();
  }

  Isolation isolation;
  isolation.isolator = std::string(kIsolatorV2);
  isolation.cgroup = cgroup.str();
  isolation.cpus = cpus;
  V2Changes additions;
  for (const CgroupPath& ancestor : cgroup.ancestors()) {
    auto current = read_cpus(ancestor, kExclusive);
    if (!current) {
      return current.error();
    }
    if (auto ok = check_own_cpus_rule(ancestor, *current | cpus); !ok) {
      return ok.error();
    }
    additions.ancestor_additions.push_back(LevelAddition{ancestor.str(), cpus - *current});
  }
  isolation.changes = std::move(additions);
  if (auto ok = check_own_cpus_rule(cgroup, cpus); !ok) {
    return ok.error();
  }
  return isolation;
}

// Each ancestor's cpuset.cpus.exclusive gains the CPUs, top-down: the kernel
// accepts a claim only within the parent's.
Expected<void> V2Isolator::claim_ancestors(const Isolation& plan, IsolationContext& ctx,
                                           std::vector<UndoStep>& undo) {
  for (const LevelAddition& level : changes_of<V2Changes>(plan).ancestor_additions) {
    auto ancestor = CgroupPath::parse(level.cgroup);
    if (!ancestor) {
      return ancestor.error();
    }
    auto current = read_cpus(*ancestor, kExclusive);
    if (!current) {
      return current.error();
    }
    const CpuSet wanted = *current | plan.cpus;
    if (wanted != *current) {
      if (auto ok = tree_.write(*ancestor, kExclusive, cpus_value(wanted)); !ok) {
        return make_error("cannot claim CPUs " + plan.cpus.to_string() +
                          " in an ancestor: " + ok.error().message);
      }
      undo.push_back(UndoStep{*ancestor, std::string(kExclusive), cpus_value(*current)});
    }
    checkpoint(ctx, "v2.ancestor:" + level.cgroup);
  }
  return {};
}

Expected<void> V2Isolator::claim_own(const CgroupPath& cgroup, const CpuSet& cpus, IsolationContext& ctx,
                                     std::vector<UndoStep>& undo) {
  auto own = read_cpus(cgroup, kExclusive);
  if (!own) {
    return own.error();
  }
  if (auto ok = tree_.write(cgroup, kExclusive, cpus_value(cpus)); !ok) {
    return make_error("cannot claim CPUs " + cpus.to_string() + " for the container: " + ok.error().message);
  }
  undo.push_back(UndoStep{cgroup, std::string(kExclusive), cpus_value(*own)});
  checkpoint(ctx, "v2.exclusive");
  return {};
}

// The kernel accepts an invalid partition silently: read it back.
Expected<void> V2Isolator::make_partition(const CgroupPath& cgroup, const CpuSet& cpus, IsolationContext& ctx,
                                          std::vector<UndoStep>& undo) {
  auto before = tree_.read(cgroup, kPartition);
  if (!before) {
    return before.error();
  }
  std::string previous_keyword(trim(*before).substr(0, trim(*before).find(' ')));
  if (previous_keyword.empty()) {
    previous_keyword = "member";
  }
  if (auto ok = tree_.write(cgroup, kPartition, "isolated"); !ok) {
    return make_error("cannot make the container's cgroup an isolated partition: " + ok.error().message);
  }
  undo.push_back(UndoStep{cgroup, std::string(kPartition), previous_keyword});
  checkpoint(ctx, "v2.partition");

  auto after = tree_.read(cgroup, kPartition);
  if (!after) {
    return after.error();
  }
  if (trim(*after) != "isolated") {
    return make_error(tree_.describe(cgroup, kPartition) + " reads \"" + std::string(trim(*after)) +
                      "\" after writing \"isolated\": the kernel did not accept CPUs " + cpus.to_string() +
                      " as an isolated partition (the reason is in parentheses); check " +
                      tree_.describe(cgroup, kExclusive) + " and the ancestors' " + std::string(kExclusive));
  }
  return {};
}

Expected<void> V2Isolator::apply(const Isolation& plan, IsolationContext& ctx) {
  auto parsed = CgroupPath::parse(plan.cgroup);
  if (!parsed) {
    return parsed.error();
  }
  std::vector<UndoStep> undo;
  auto applied = claim_ancestors(plan, ctx, undo);
  if (applied) {
    applied = claim_own(*parsed, plan.cpus, ctx, undo);
  }
  if (applied) {
    applied = make_partition(*parsed, plan.cpus, ctx, undo);
  }
  if (applied) {
    return {};
  }
  std::string message = applied.error().message;
  const std::vector<std::string> problems = roll_back(undo);
  if (problems.empty()) {
    message += "; every change was rolled back";
  } else {
    message += "; rollback was incomplete:";
    for (const std::string& problem : problems) {
      message += " " + problem + ";";
    }
  }
  return make_error(std::move(message));
}

ReleaseResult V2Isolator::release(const Isolation& isolation, IsolationContext& ctx) {
  ReleaseResult result;
  auto parsed = CgroupPath::parse(isolation.cgroup);
  if (!parsed) {
    // Nothing we could write names this cgroup: there is nothing to undo
    // through it, but the ancestors' claims are still ours.
    result.problems.push_back("cannot release isolation of \"" + isolation.cgroup +
                              "\": " + parsed.error().message);
  }
  // An invalidated partition's CPUs are owed a rebuild from the moment it
  // turns member: record that in the rebuild cgroup first, so a crash or a
  // failure from here on leaves the debt where the next release finds it.
  if (parsed && partition_invalid(*parsed) && !record_rebuild(isolation.cpus, result.problems)) {
    result.left = isolation;
    return result;
  }
  const ContainerRelease container =
      parsed ? release_container(*parsed, result.problems) : ContainerRelease{};

  // Bottom-up, so no ancestor ever holds fewer exclusive CPUs than a child.
  std::vector<LevelAddition> left_levels;
  const std::vector<LevelAddition> levels = changes_of<V2Changes>(isolation).ancestor_additions;
  for (auto level = levels.rbegin(); level != levels.rend(); ++level) {
    auto ancestor = CgroupPath::parse(level->cgroup);
    if (!ancestor) {
      result.problems.push_back("skipping ancestor \"" + level->cgroup + "\": " + ancestor.error().message);
      continue;
    }
    const CpuSet still_needed = needed_by_others(*ancestor, isolation, ctx);
    if (!clear_cpus(*ancestor, level->added - still_needed, result.problems)) {
      left_levels.insert(left_levels.begin(), *level);
    }
  }
  if (!container.done || !left_levels.empty()) {
    Isolation left = isolation;
    left.changes = V2Changes{std::move(left_levels)};
    result.left = std::move(left);
    return result;
  }
  const CpuSet leaked = container.gone ? leaked_cpus(isolation.cpus) : CpuSet{};
  if ((!leaked.empty() && !record_rebuild(leaked, result.problems)) ||
      !finish_rebuild(ctx, result.problems)) {
    result.problems.push_back("the kernel keeps CPUs of container cgroup " + isolation.cgroup +
                              " without a scheduler domain (a 6.12 cpuset defect after it invalidated the "
                              "partition, docs/INVARIANTS.md); kept, and retried by every call");
    Isolation left = isolation;
    left.changes = V2Changes{};
    result.left = std::move(left);
  }
  return result;
}

bool V2Isolator::intact(const Isolation& isolation) const {
  auto cg = CgroupPath::parse(isolation.cgroup);
  if (!cg || !tree_.exists(*cg)) {
    return true;  // gone with its container: nothing to repair
  }
  auto partition = tree_.read(*cg, kPartition);
  return !partition || trim(*partition) == "isolated";
}

std::optional<std::string> V2Isolator::kernel_problem(const Isolation& isolation) const {
  auto cg = CgroupPath::parse(isolation.cgroup);
  if (!cg) {
    return std::nullopt;
  }
  auto partition = tree_.read(*cg, kPartition);
  const std::string file = tree_.describe(*cg, kPartition);
  if (!partition) {
    return file + " cannot be read (" + partition.error().message + ")";
  }
  if (trim(*partition) != "isolated") {
    return file + " reads \"" + std::string(trim(*partition)) + "\"";
  }
  return std::nullopt;
}

// A partition the kernel invalidated no longer keeps its CPUs out of the
// scheduler's domains: it is what balances them.
BalancingCulprits V2Isolator::culprits(const IsolationContext& ctx) const {
  BalancingCulprits out;
  for (const Isolation& other : ctx.others) {
    if (auto reason = kernel_problem(other)) {
      for (unsigned cpu : other.cpus.cpus()) {
        out[cpu].push_back(*reason);
      }
    }
  }
  return out;
}

CpuSet V2Isolator::kernel_isolated(const IsolationContext& ctx) const {
  const CgroupPath root;
  if (tree_.has_file(root, kRootIsolated)) {
    if (auto isolated = read_cpus(root, kRootIsolated)) {
      return *isolated;
    }
  }
  // Before 6.8 the root does not summarise: look at the partitions we know.
  CpuSet out;
  for (const Isolation& other : ctx.others) {
    auto cg = CgroupPath::parse(other.cgroup);
    if (!cg || cg->is_root() || !tree_.exists(*cg)) {
      continue;
    }
    auto partition = tree_.read(*cg, kPartition);
    if (!partition || trim(*partition) != "isolated") {
      continue;
    }
    if (auto exclusive = read_cpus(*cg, "cpuset.cpus.exclusive.effective")) {
      out |= *exclusive;
    } else if (auto claimed = read_cpus(*cg, kExclusive)) {
      out |= *claimed;
    }
  }
  return out;
}

Expected<CpuSet> V2Isolator::read_cpus(const CgroupPath& cg, std::string_view file) const {
  auto content = tree_.read(cg, file);
  if (!content) {
    return content.error();
  }
  auto cpus = CpuSet::parse(*content);
  if (!cpus) {
    return make_error("cannot parse " + tree_.describe(cg, file) + ": " + cpus.error().message);
  }
  return cpus;
}

void V2Isolator::checkpoint(IsolationContext& ctx, const std::string& step) {
  if (ctx.checkpoint) {
    ctx.checkpoint(step);
  }
}

Expected<void> V2Isolator::check_subtree_control(const CgroupPath& cgroup) const {
  std::vector<CgroupPath> levels{CgroupPath{}};
  for (const CgroupPath& ancestor : cgroup.ancestors()) {
    levels.push_back(ancestor);
  }
  for (const CgroupPath& level : levels) {
    const std::string file = tree_.describe(level, kSubtreeControl);
    auto content = tree_.read(level, kSubtreeControl);
    if (!content) {
      return make_error("cannot check that cpuset is enabled for " + cg_name(cgroup) + ": " +
                        content.error().message);
    }
    std::istringstream words{*content};
    bool enabled = false;
    for (std::string word; words >> word;) {
      enabled = enabled || word == "cpuset";
    }
    if (!enabled) {
      return make_error("cpuset is not enabled in " + file + "; enable it with `echo +cpuset > " + file +
                        "`");
    }
  }
  return {};
}

Expected<void> V2Isolator::check_exclusive_support(const CgroupPath& cgroup) const {
  const KernelVersion needed{6, 7, "6.7"};
  const CgroupPath probe = cgroup.parent().is_root() ? cgroup : cgroup.parent();
  if (kernel_ < needed || !tree_.has_file(probe, kExclusive)) {
    return make_error(
        "kernel " + (kernel_.release.empty() ? std::string("(unknown)") : kernel_.release) +
        " lacks cpuset.cpus.exclusive (remote partitions need 6.7+): " + tree_.describe(probe, kExclusive) +
        (kernel_ < needed ? " is not supported" : " does not exist") +
        "; boot a 6.7+ kernel or use isolcpus= on the kernel command line");
  }
  return {};
}

Expected<void> V2Isolator::check_no_partition_ancestor(const CgroupPath& cgroup) const {
  for (const CgroupPath& ancestor : cgroup.ancestors()) {
    auto content = tree_.read(ancestor, kPartition);
    if (!content) {
      return make_error("cannot check partition state of ancestor " + ancestor.str() + ": " +
                        content.error().message);
    }
    if (trim(*content) != "member") {
      return make_error(tree_.describe(ancestor, kPartition) + " is \"" + std::string(trim(*content)) +
                        "\", not \"member\": a remote isolated partition needs every ancestor below the "
                        "root to be a member; write member into it if nothing relies on that partition");
    }
  }
  return {};
}

Expected<void> V2Isolator::check_cpus_free(const CgroupPath& cgroup, const CpuSet& cpus,
                                           const IsolationContext& ctx) const {
  // A context with no online list (never probed) is not judged on onlineness.
  CpuGuardrails guard{.online = ctx.online.empty() ? cpus : ctx.online,
                      .boot_isolated = ctx.boot_isolated,
                      .holders = {},
                      .min_housekeeping_cpus = ctx.min_housekeeping_cpus};
  CpuSet others_cpus;
  for (const Isolation& other : ctx.others) {
    if (other.cgroup != cgroup.str()) {
      guard.holders.push_back({other.cpus, "the container in cgroup " + other.cgroup});
      others_cpus |= other.cpus;
    }
  }
  if (auto why = guardrail_violation(cpus, guard)) {
    return make_error(*why);
  }
  const CgroupPath root;
  if (tree_.has_file(root, kRootIsolated)) {
    auto isolated = read_cpus(root, kRootIsolated);
    if (!isolated) {
      return isolated.error();
    }
    const CpuSet foreign = (*isolated - others_cpus - ctx.boot_isolated) & cpus;
    if (!foreign.empty()) {
      return make_error("CPUs " + foreign.to_string() +
                        " are already isolated by a partition we do not own (" +
                        tree_.describe(root, kRootIsolated) + " lists " + shown(*isolated) +
                        "); find it with `grep -r isolated --include=cpuset.cpus.partition " +
                        tree_.describe(root, "") + "`");
    }
  }
  return {};
}

// The kernel refuses (EINVAL) a claim overlapping a sibling's: say which
// sibling, since it is often a stale claim left by a dead container.
Expected<void> V2Isolator::check_siblings(const CgroupPath& cgroup, const CpuSet& cpus) const {
  std::vector<CgroupPath> levels = cgroup.ancestors();
  levels.push_back(cgroup);
  for (const CgroupPath& level : levels) {
    for (const CgroupPath& sibling : tree_.children(level.parent())) {
      if (sibling == level || !tree_.has_file(sibling, kExclusive)) {
        continue;
      }
      auto claimed = read_cpus(sibling, kExclusive);
      if (claimed && claimed->intersects(cpus)) {
        const std::string file = tree_.describe(sibling, kExclusive);
        return make_error("CPUs " + (*claimed & cpus).to_string() + " are claimed in " + file + " (" +
                          claimed->to_string() + "), a sibling of " + cg_name(level) +
                          "; siblings' exclusive CPUs may not overlap. If that claim is stale, clear it with "
                          "`echo > " +
                          file + "`");
      }
    }
  }
  return {};
}

// 6.7-6.10 only: cpuset.cpus.exclusive must lie within the cgroup's own
// non-empty cpuset.cpus.
Expected<void> V2Isolator::check_own_cpus_rule(const CgroupPath& cg, const CpuSet& exclusive) const {
  if (kernel_ >= KernelVersion{6, 11, "6.11"} || !tree_.has_file(cg, kCpus)) {
    return {};
  }
  auto own = read_cpus(cg, kCpus);
  if (!own) {
    return own.error();
  }
  if (!own->empty() && !own->contains(exclusive)) {
    return make_error("kernel " + kernel_.release + " requires " + tree_.describe(cg, kExclusive) +
                      " to be a subset of " + tree_.describe(cg, kCpus) + " (" + own->to_string() +
                      ") but it would hold " + exclusive.to_string() + "; add CPUs " +
                      (exclusive - *own).to_string() + " to " + tree_.describe(cg, kCpus) +
                      " or use a 6.11+ kernel");
  }
  return {};
}

// CPUs other isolations below `ancestor` still rely on at that level.
CpuSet V2Isolator::needed_by_others(const CgroupPath& ancestor, const Isolation& self,
                                    const IsolationContext& ctx) {
  CpuSet needed;
  for (const auto* list : {&ctx.others, &ctx.releasing}) {
    for (const Isolation& other : *list) {
      auto cg = CgroupPath::parse(other.cgroup);
      if (other.cgroup != self.cgroup && cg && *cg != ancestor && cg->is_within(ancestor)) {
        needed |= other.cpus;
      }
    }
  }
  return needed;
}

// Turns the container's partition back into a member and clears its own
// claim; done is false when the kernel refused a write (the problem says which).
ContainerRelease V2Isolator::release_container(const CgroupPath& cgroup, std::vector<std::string>& problems) {
  ContainerRelease out;
  if (cgroup.is_root() || !tree_.exists(cgroup)) {
    out.gone = !cgroup.is_root();  // rmdir reset the partition and its claim
    return out;
  }
  if (tree_.has_file(cgroup, kPartition)) {
    auto current = tree_.read(cgroup, kPartition);
    if (!current) {
      problems.push_back(current.error().message);
      out.done = !tree_.exists(cgroup);
    } else if (trim(*current) != "member") {
      if (auto ok = tree_.write(cgroup, kPartition, "member"); !ok && tree_.exists(cgroup)) {
        problems.push_back("cannot turn " + tree_.describe(cgroup, kPartition) +
                           " back into a member: " + ok.error().message);
        out.done = false;
      }
    }
  }
  // The container's own claim is wholly ours: clear it, whatever it holds.
  if (tree_.has_file(cgroup, kExclusive)) {
    auto own = read_cpus(cgroup, kExclusive);
    if (!own) {
      problems.push_back(own.error().message);
      out.done = out.done && !tree_.exists(cgroup);
    } else if (!clear_cpus(cgroup, *own, problems)) {
      out.done = false;
    }
  }
  return out;
}

// CPUs of a removed container cgroup still in the root's isolated mask:
// 6.12 leaks them when the cgroup of an invalidated partition goes
// (base_v2_zombie).  Our claim made them ours alone until now.
CpuSet V2Isolator::leaked_cpus(const CpuSet& cpus) const {
  if (!tree_.has_file(CgroupPath{}, kRootIsolated)) {
    return {};  // before 6.8 the kernel does not show them
  }
  auto isolated = read_cpus(CgroupPath{}, kRootIsolated);
  return isolated ? cpus & *isolated : CpuSet{};
}

// The debt: `cpus` added to the rebuild cgroup's cpuset.cpus.
bool V2Isolator::record_rebuild(const CpuSet& cpus, std::vector<std::string>& problems) {
  const CgroupPath cg = rebuild_cgroup();
  const bool existed = tree_.exists(cg);
  if (existed && !rebuild_cgroup_ours(cg)) {
    problems.push_back(tree_.describe(cg, "") + " has tasks or children: not ours; remove it");
    return false;
  }
  if (!existed) {
    if (auto ok = tree_.make(cg); !ok) {
      problems.push_back("cannot record the scheduler-domain rebuild owed: " + ok.error().message);
      return false;
    }
  }
  auto owed = read_cpus(cg, kCpus);
  auto ok = owed ? tree_.write(cg, kCpus, (*owed | cpus).to_string()) : Expected<void>(owed.error());
  if (!ok) {
    problems.push_back("cannot record the scheduler-domain rebuild owed: " + ok.error().message);
    if (!existed) {
      (void)tree_.remove(cg);
    }
  }
  return static_cast<bool>(ok);
}

// Pays the recorded debt: a local isolated partition over the CPUs at the
// root, then member again.  Local partitions do not consult the kernel's
// remote-partition mask, so this returns leaked CPUs, and both writes
// rebuild the sched domains.  True when nothing is owed any more.
bool V2Isolator::finish_rebuild(IsolationContext& ctx, std::vector<std::string>& problems) {
  const CgroupPath cg = rebuild_cgroup();
  if (!tree_.exists(cg) || !rebuild_cgroup_ours(cg)) {
    return true;
  }
  auto owed = read_cpus(cg, kCpus);
  if (!owed) {
    problems.push_back(owed.error().message);
    return false;
  }
  if (!owed->empty()) {
    const auto isolated = tree_.write(cg, kPartition, "isolated");
    checkpoint(ctx, "v2.rebuild");
    auto state = tree_.read(cg, kPartition);
    const bool valid = isolated && state && trim(*state) == "isolated";
    const auto member = tree_.write(cg, kPartition, "member");
    if (!valid || !member) {
      problems.push_back("rebuilding the scheduler domains over CPUs " + owed->to_string() + " in " +
                         tree_.describe(cg, kPartition) + " failed (" +
                         (!isolated ? isolated.error().message
                          : !state  ? state.error().message
                          : !valid  ? "it reads \"" + std::string(trim(*state)) +
                                         "\": does a root-level cgroup's cpuset.cpus overlap them?"
                                   : member.error().message) +
                         ")");
      return false;
    }
  }
  if (auto ok = tree_.remove(cg); !ok) {
    problems.push_back("cannot remove " + tree_.describe(cg, "") + ": " + ok.error().message);
    return false;
  }
  return true;
}

// Removes `cpus` from cg's cpuset.cpus.exclusive; missing dir or file means
// there is nothing left to undo.  False when the kernel refused.
bool V2Isolator::clear_cpus(const CgroupPath& cg, const CpuSet& cpus, std::vector<std::string>& problems) {
  if (cpus.empty() || !tree_.exists(cg) || !tree_.has_file(cg, kExclusive)) {
    return true;
  }
  auto current = read_cpus(cg, kExclusive);
  if (!current) {
    problems.push_back(current.error().message);
    return !tree_.exists(cg);
  }
  const CpuSet remaining = *current - cpus;
  if (remaining == *current) {
    return true;
  }
  if (auto ok = tree_.write(cg, kExclusive, cpus_value(remaining)); !ok) {
    if (!tree_.exists(cg)) {
      return true;  // removed under us: its claim went with it
    }
    problems.push_back("cannot give back CPUs " + (*current & cpus).to_string() + " in " +
                       tree_.describe(cg, kExclusive) + ": " + ok.error().message);
    return false;
  }
  return true;
}

std::vector<std::string> V2Isolator::roll_back(const std::vector<UndoStep>& undo) {
  std::vector<std::string> problems;
  for (auto step = undo.rbegin(); step != undo.rend(); ++step) {
    if (auto ok = tree_.write(step->cg, step->file, step->previous); !ok) {
      problems.push_back(ok.error().message);
    }
  }
  return problems;
}

}  // namespace

std::unique_ptr<Isolator> make_v2_isolator(CgroupTree& tree, KernelVersion kernel) {
  return std::make_unique<V2Isolator>(tree, std::move(kernel));
}

}  // namespace isolcpus
