// FakeCgroupV2: a cgroup2 hierarchy in a temp dir (driven through the real
// open_cgroup_tree), wrapped in a model of the kernel's cpuset rules strict
// enough to catch ordering and rollback bugs in the v2 isolator:
//  - cpuset.cpus.exclusive: EINVAL unless within the (non-root) parent's
//    exclusive CPUs, disjoint from every sibling's, and (6.7-6.10 model)
//    within the cgroup's own non-empty cpuset.cpus; EBUSY when shrinking
//    below a child's claim; an empty write is a no-op, "\n" clears;
//  - cpuset.cpus.partition: only member/root/isolated; reads back "isolated"
//    or "isolated invalid (<reason>)"; the root's cpuset.cpus.isolated lists
//    the valid isolated partitions' CPUs;
//  - rmdir of a partition resets it (ancestors keep their exclusive CPUs);
//  - fail_write(n): the n-th write from now fails, for rollback tests;
//  - optionally the cpu controller's cpu.max in every non-root cgroup (the
//    cpu-quota knob's file), at a mount the caller chooses.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/temp_dir.hpp"
#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/cpuset.hpp"

namespace isolcpus {

class FakeCgroupV2 final : public CgroupTree {
 public:
  struct Options {
    CpuSet online = CpuSet::range(0, 7);
    // Model 6.7-6.10: exclusive must be a subset of the cgroup's own cpuset.cpus.
    bool exclusive_within_own_cpus = false;
    // false models a kernel before 6.7: no cpuset.cpus.exclusive files.
    bool has_exclusive = true;
    // false models a kernel before 6.8: no root cpuset.cpus.isolated.
    bool has_root_isolated = true;
    // Where the hierarchy lives (an existing or creatable directory, e.g.
    // <host root>/sys/fs/cgroup so KernelFiles reaches its cpu files); empty:
    // a temp dir of its own.
    std::filesystem::path mount = {};
    // Non-empty: the cpu controller is enabled too, and every non-root
    // cgroup starts with this cpu.max ("max 100000\n", the kernel's default).
    std::string cpu_max = {};
  };

  FakeCgroupV2();
  explicit FakeCgroupV2(Options options);

  // Builders (bypass the rules, like an operator's setup before the test).
  // Creates `cg` and any missing ancestors with the kernel's default files;
  // `cpus` goes into cg's own cpuset.cpus.
  void add_cgroup(std::string_view cg, const CpuSet& cpus = {});
  void set_file(std::string_view cg, std::string_view file, std::string_view content);
  [[nodiscard]] std::string file(std::string_view cg, std::string_view file) const;  // raw content
  [[nodiscard]] CpuSet exclusive(std::string_view cg) const;
  [[nodiscard]] CpuSet cpus_in(std::string_view cg) const;         // its cpuset.cpus
  [[nodiscard]] std::string partition(std::string_view cg) const;  // trimmed
  [[nodiscard]] CpuSet root_isolated() const;
  // Every file under the mount with its content, to compare before/after.
  [[nodiscard]] std::map<std::string, std::string> snapshot() const;

  // Called before every write; a test may throw from it to model a crash.
  std::function<void()> before_write;
  // The kernel invalidates cg's partition on its own, giving no reason, the
  // way 6.12 does when a sibling's cpuset.cpus overlaps it
  // (tests/vm/guest/scenarios/base_v2_zombie.sh): its CPUs stay isolated;
  // "member" returns them but leaves them without a sched domain until a
  // valid partition next comes or goes; removing the cgroup leaks them into
  // the root's cpuset.cpus.isolated for good.  Other partition writes leave it
  // invalid.
  void invalidate(std::string_view cg);
  // CPUs the scheduler has no domain for: what the kernel isolates plus what
  // it has not rebuilt since.
  [[nodiscard]] CpuSet sched_null() const;
  // The n-th write from now (1-based) fails with EIO and changes nothing.
  void fail_write(std::size_t n) { fail_at_ = writes_ + n; }
  [[nodiscard]] std::size_t writes() const { return writes_; }
  // "cg:file=value" for every write attempted, in order.
  [[nodiscard]] const std::vector<std::string>& write_log() const { return log_; }
  [[nodiscard]] const std::filesystem::path& mount() const { return mount_; }

  // CgroupTree
  [[nodiscard]] Expected<std::string> read(const CgroupPath& cg, std::string_view file) const override;
  Expected<void> write(const CgroupPath& cg, std::string_view file, std::string_view value) override;
  [[nodiscard]] bool exists(const CgroupPath& cg) const override;
  [[nodiscard]] bool has_file(const CgroupPath& cg, std::string_view file) const override;
  Expected<void> make(const CgroupPath& cg) override;
  Expected<void> remove(const CgroupPath& cg) override;
  [[nodiscard]] std::vector<CgroupPath> children(const CgroupPath& cg) const override;
  [[nodiscard]] std::string describe(const CgroupPath& cg, std::string_view file) const override;

 private:
  [[nodiscard]] CpuSet cpus_of(const CgroupPath& cg, std::string_view file) const;
  void populate(const CgroupPath& cg, const CpuSet& cpus);
  Expected<void> write_exclusive(const CgroupPath& cg, std::string_view value);
  Expected<void> write_partition(const CgroupPath& cg, std::string_view value);
  Expected<void> write_cpus(const CgroupPath& cg, std::string_view value);
  [[nodiscard]] std::string invalid_reason(const CgroupPath& cg) const;
  [[nodiscard]] CpuSet claim_of(const CgroupPath& cg) const;
  [[nodiscard]] bool valid(const CgroupPath& cg) const;
  [[nodiscard]] CpuSet isolated_now() const;
  void recompute();
  [[nodiscard]] Error kernel_error(const CgroupPath& cg, std::string_view file, std::string_view value,
                                   std::string_view errno_text) const;

  Options options_;
  TempDir dir_;
  std::filesystem::path mount_;
  std::unique_ptr<CgroupTree> real_;
  std::map<std::string, std::string> requested_;  // cgroup -> "root" | "isolated" (member = absent)
  std::set<std::string> invalidated_;             // by the kernel, until member or rmdir
  std::map<std::string, CpuSet> zombie_cpus_;     // what each invalidated partition still holds
  CpuSet leaked_;                                 // isolated with no partition (zombie removed)
  CpuSet stale_;                                  // balanced again, domains not yet rebuilt
  std::size_t writes_ = 0;
  std::size_t fail_at_ = 0;
  std::vector<std::string> log_;
};

}  // namespace isolcpus
