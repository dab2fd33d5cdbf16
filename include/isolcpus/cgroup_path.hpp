// CgroupPath: a cgroup's path relative to its hierarchy's mount, validated so
// that nothing derived from config.json or runc's state can leave the mount.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/expected.hpp"

namespace isolcpus {

class CgroupPath {
 public:
  CgroupPath() = default;  // the hierarchy's root

  // Accepts "a/b/c" and "/a/b/c" (both relative to the mount).  Rejects "..",
  // ".", empty components other than leading/trailing slashes, NUL bytes and
  // names longer than NAME_MAX.
  static Expected<CgroupPath> parse(std::string_view text);

  [[nodiscard]] bool is_root() const { return parts_.empty(); }
  [[nodiscard]] const std::vector<std::string>& parts() const { return parts_; }
  [[nodiscard]] std::string str() const;  // "a/b/c"; "" for the root
  [[nodiscard]] CgroupPath parent() const;
  [[nodiscard]] CgroupPath child(std::string_view name) const;  // name must be a valid component
  // Proper ancestors, top-down, excluding the root: "a", "a/b" for "a/b/c".
  [[nodiscard]] std::vector<CgroupPath> ancestors() const;
  [[nodiscard]] bool is_within(const CgroupPath& other) const;  // other is this or an ancestor

  friend bool operator==(const CgroupPath&, const CgroupPath&) = default;

 private:
  std::vector<std::string> parts_;
};

// Where a container's cgroup is, from OCI linux.cgroupsPath:
//  - cgroupfs form "/kubepods/pod<uid>/<id>" or "kubepods/..." -> that path;
//  - systemd form "slice:prefix:name" -> "<expanded slice path>/<prefix>-<name>.scope",
//    where "kubepods-burstable-pod1.slice" expands to
//    "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice";
//  - cgroupfs, empty -> "<container id>", and every cgroupfs path without a
//    leading "/", under `relative_base` (see runc_relative_base).
// For v1 the result is relative to the cpuset mount; for v2 to the cgroup2 mount.
Expected<CgroupPath> cgroup_from_cgroups_path(std::string_view cgroups_path, bool systemd,
                                              std::string_view container_id, const CgroupPath& relative_base);

// The cgroup of a systemd slice: "kubepods-burstable.slice" ->
// "kubepods.slice/kubepods-burstable.slice"; "-.slice" is the root.
Expected<CgroupPath> systemd_slice_path(std::string_view slice);

// What runc (1.1-1.5, cgroupfs driver) puts an empty or relative cgroupsPath
// under, given the cgroup runc itself runs in: v1 (fs) uses its own cgroup
// in the hierarchy; v2 (fs2) uses that cgroup's parent, because a cgroup with
// tasks in it (a login session's scope) cannot enable controllers below it.
CgroupPath runc_relative_base(const CgroupPath& runc_own, bool unified);

}  // namespace isolcpus
