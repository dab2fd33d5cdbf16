// FakeCgroupV1: a temp-dir cpuset hierarchy that behaves like a cgroup v1
// cpuset mount where the isolators can tell: new cpusets start with flag 1
// and the parent's CPUs, cpuset.cpus must nest (EINVAL otherwise), the
// flag takes only 0 or 1, rmdir fails on a cpuset with children or tasks.
// unbalanced() applies the kernel's sched-domain rule to the current files,
// so tests assert the effect on the scheduler, not only file contents.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/cpuset.hpp"

namespace isolcpus {

class FakeCgroupV1 final : public CgroupTree {
 public:
  // The hierarchy lives in `dir` (an existing, empty directory).
  explicit FakeCgroupV1(std::filesystem::path dir);

  // Builder: writes files straight to disk, without the kernel's checks.
  FakeCgroupV1& root(std::string_view cpus, std::string_view mems = "0", bool flag = true);
  FakeCgroupV1& add(std::string_view path, std::string_view cpus, bool flag = true,
                    std::string_view tasks = "");

  // The kernel's rule: with the root's flag 1 nothing is unbalanced; with 0,
  // top-down, the first flag-1 cpuset with CPUs on each path is a domain
  // candidate (its subtree skipped) and every CPU of the root in no candidate
  // has a NULL domain.
  [[nodiscard]] CpuSet unbalanced() const;

  // Raw file access for assertions (trimmed content; "" when absent).
  [[nodiscard]] std::string file(std::string_view path, std::string_view name) const;
  [[nodiscard]] bool flag(std::string_view path) const {
    return file(path, "cpuset.sched_load_balance") == "1";
  }
  [[nodiscard]] bool dir_exists(std::string_view path) const;
  // Every directory and file below the mount with its content: compare two
  // snapshots to prove a tree is back where it started.
  [[nodiscard]] std::map<std::string, std::string> snapshot() const;

  // Called before every mutating call; a test may throw from it to model a crash.
  std::function<void()> before_mutation;
  // Failure injection: the nth mutating call (write, make, remove) counted
  // from now fails as the kernel would with EIO; 0 turns it off.
  void fail_operation(unsigned nth);
  // Mutating calls so far, as "write <cg> <file> <value>", "mkdir <cg>", "rmdir <cg>".
  [[nodiscard]] const std::vector<std::string>& operations() const { return log_; }

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
  [[nodiscard]] std::filesystem::path path_of(const CgroupPath& cg) const;
  [[nodiscard]] CpuSet cpus_of(const CgroupPath& cg) const;
  [[nodiscard]] Expected<void> injected(const std::string& what);
  void collect_candidates(const CgroupPath& cg, CpuSet& out) const;

  std::filesystem::path dir_;
  std::unique_ptr<CgroupTree> inner_;
  unsigned fail_at_ = 0;
  unsigned counted_ = 0;
  std::vector<std::string> log_;
};

}  // namespace isolcpus
