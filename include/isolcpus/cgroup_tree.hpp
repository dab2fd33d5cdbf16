// CgroupTree: the only door to one cgroup hierarchy's files.  The isolators
// talk to this interface; production uses the real mount, unit tests a temp
// dir wrapped in a model of the kernel's rules (tests/fakes).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/expected.hpp"

namespace isolcpus {

class CgroupTree {
 public:
  CgroupTree() = default;
  CgroupTree(const CgroupTree&) = delete;
  CgroupTree& operator=(const CgroupTree&) = delete;
  CgroupTree(CgroupTree&&) = delete;
  CgroupTree& operator=(CgroupTree&&) = delete;
  virtual ~CgroupTree() = default;

  // Whole file content (kernel files end in "\n"; callers trim as needed).
  [[nodiscard]] virtual Expected<std::string> read(const CgroupPath& cg, std::string_view file) const = 0;
  // One write(2) of `value`; the kernel's errno becomes the error message,
  // which names the absolute file path.
  virtual Expected<void> write(const CgroupPath& cg, std::string_view file, std::string_view value) = 0;
  [[nodiscard]] virtual bool exists(const CgroupPath& cg) const = 0;
  [[nodiscard]] virtual bool has_file(const CgroupPath& cg, std::string_view file) const = 0;
  virtual Expected<void> make(const CgroupPath& cg) = 0;    // mkdir
  virtual Expected<void> remove(const CgroupPath& cg) = 0;  // rmdir
  [[nodiscard]] virtual std::vector<CgroupPath> children(const CgroupPath& cg) const = 0;
  // Absolute path, for messages and for operators to copy into a shell.
  [[nodiscard]] virtual std::string describe(const CgroupPath& cg, std::string_view file) const = 0;
};

// True when cg has tasks or child cgroups: a cgroup someone already uses
// (a container's cgroupsPath naming one must not take it over).
[[nodiscard]] bool cgroup_in_use(const CgroupTree& tree, const CgroupPath& cg);

// The real hierarchy mounted at `mount`.  Paths are resolved component by
// component with O_NOFOLLOW, so a symlink planted in the tree cannot lead out.
std::unique_ptr<CgroupTree> open_cgroup_tree(const std::filesystem::path& mount);

}  // namespace isolcpus
