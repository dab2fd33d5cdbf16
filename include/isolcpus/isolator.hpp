// Isolator: turns scheduler load balancing off for a container's CPUs and
// back on.  One implementation per cgroup mode, chosen by probing the host
// (make_isolator), in the manner of runc's per-version cgroup managers.
//
// Protocol, driven by the lifecycle under the ledger lock:
//   plan()    reads the kernel, checks preconditions, returns the exact changes
//             (and may record originals into ctx.v1_node); the caller persists
//             the plan BEFORE apply, so a crash mid-apply can be undone;
//   apply()   makes the changes; on failure undoes what it did and says why;
//   release() undoes an isolation applied wholly, partly or not at all;
//             idempotent; says exactly what it could not undo, so the caller
//             keeps that in the ledger and retries it on every later call;
//   enforce() re-asserts node invariants (v1: a cpuset created since, overlapping
//             isolated CPUs, gets flag 0; with nothing isolated, node-wide
//             changes a failed release left behind are retried), cheap enough
//             for every invocation.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/cpuset.hpp"
#include "isolcpus/expected.hpp"
#include "isolcpus/host_probe.hpp"
#include "isolcpus/isolation.hpp"

namespace isolcpus {

struct IsolationContext {
  CpuSet online;
  CpuSet boot_isolated;
  unsigned min_housekeeping_cpus = 2;
  std::vector<Isolation> others;     // every other container isolated (or being isolated) now
  std::vector<Isolation> releasing;  // others whose release is not complete: still in the kernel,
                                     // not to be kept isolated (v2 keeps their ancestors' claims)
  V1NodeRecord* v1_node = nullptr;   // v1 only; persisted by the caller
  bool v1_manage_root_flag = true;
  // Called between kernel writes with a step name; tests use it to simulate a
  // crash (it may not return).  Empty in production.
  std::function<void(std::string_view step)> checkpoint;
  // Non-fatal findings (e.g. v1 root flag left at 1 by configuration).
  std::vector<std::string> warnings;
};

// What release() could not undo.  `left` is the part of the isolation still
// in the kernel (nullopt: all of it is undone); each problem names the file.
struct ReleaseResult {
  std::vector<std::string> problems;
  std::optional<Isolation> left;
  [[nodiscard]] bool complete() const { return !left.has_value(); }
};

// Why the kernel balances each CPU: reasons that name the file to look at.
using BalancingCulprits = std::map<unsigned, std::vector<std::string>>;

class Isolator {
 public:
  Isolator() = default;
  Isolator(const Isolator&) = delete;
  Isolator& operator=(const Isolator&) = delete;
  Isolator(Isolator&&) = delete;
  Isolator& operator=(Isolator&&) = delete;
  virtual ~Isolator() = default;

  [[nodiscard]] virtual std::string_view name() const = 0;
  virtual Expected<Isolation> plan(const CgroupPath& cgroup, const CpuSet& cpus, IsolationContext& ctx) = 0;
  virtual Expected<void> apply(const Isolation& plan, IsolationContext& ctx) = 0;
  virtual ReleaseResult release(const Isolation& isolation, IsolationContext& ctx) = 0;
  virtual std::vector<std::string> enforce(IsolationContext& ctx) = 0;
  // CPUs the kernel currently reports isolated by partitions (v2) or with no
  // balanced cpuset covering them (v1), for status and checks.
  [[nodiscard]] virtual CpuSet kernel_isolated(const IsolationContext& ctx) const = 0;
  // The CPUs the container's cgroup runs on now (its cpuset.cpus), to learn
  // which side of an interrupted `runc update` won.
  [[nodiscard]] virtual Expected<CpuSet> container_cpus(const CgroupPath& cgroup) const = 0;
  // False when the kernel has since undone an isolation it accepted (v2: it
  // invalidated the partition), so reconcile makes it anew.  v1's flags are
  // re-asserted by enforce() instead.
  [[nodiscard]] virtual bool intact(const Isolation& isolation) const = 0;
  // For status and check: why an isolation is not what the kernel keeps now
  // (v2: its partition file cannot be read or does not read "isolated"),
  // naming the file; nullopt when nothing is wrong or nothing can be told.
  [[nodiscard]] virtual std::optional<std::string> kernel_problem(const Isolation& isolation) const = 0;
  // For status: who keeps CPUs in a scheduler domain (v1: the top-most
  // balanced cpusets covering each CPU; v2: the partitions among ctx.others
  // that the kernel has undone).  Reads only.
  [[nodiscard]] virtual BalancingCulprits culprits(const IsolationContext& ctx) const = 0;
  // True when the node record holds node-wide changes (v1) that no isolated
  // container needs any more: a failed release left them for enforce().
  [[nodiscard]] virtual bool has_residue(const IsolationContext& ctx) const = 0;
};

std::unique_ptr<Isolator> make_v2_isolator(CgroupTree& tree, KernelVersion kernel);
std::unique_ptr<Isolator> make_v1_isolator(CgroupTree& tree);

// Chosen by probing: v2 needs kernel 6.7+ (remote partitions), v1 needs a
// cpuset hierarchy.  Anything else: an error naming the kernel and the need.
Expected<std::unique_ptr<Isolator>> make_isolator(const HostFacts& host, CgroupTree& tree);

}  // namespace isolcpus
