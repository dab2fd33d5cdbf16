// CgroupPath parsing and the OCI cgroupsPath -> cgroup mapping (cgroupfs and
// systemd drivers), mirroring runc's libcontainer so we find the same directory
// runc creates.
#include "isolcpus/cgroup_path.hpp"

#include <climits>
#include <string>
#include <string_view>
#include <vector>

namespace isolcpus {

namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\0') {
      out += "\\0";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// Empty on success, else why `name` cannot be one directory name in the tree.
std::string component_problem(std::string_view name) {
  if (name.empty()) {
    return "empty path component";
  }
  if (name == "." || name == "..") {
    return "path component " + quoted(name) + " is not allowed";
  }
  if (name.find('\0') != std::string_view::npos) {
    return "path component contains a NUL byte";
  }
  if (name.find('/') != std::string_view::npos) {
    return "path component " + quoted(name) + " contains '/'";
  }
  if (name.size() > NAME_MAX) {
    return "path component is longer than " + std::to_string(NAME_MAX) + " bytes";
  }
  return {};
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

// systemd's slice naming: "a-b-c.slice" lives at "a.slice/a-b.slice/a-b-c.slice";
// "-.slice" is the root slice.  Same rules as runc's systemd.ExpandSlice.
Expected<std::string> expand_slice(std::string_view slice) {
  constexpr std::string_view kSuffix = ".slice";
  const auto invalid = [&] {
    return make_error("invalid systemd slice name " + quoted(slice) +
                      " in linux.cgroupsPath: expected a name like \"kubepods-burstable.slice\"");
  };
  if (slice.size() < kSuffix.size() || !slice.ends_with(kSuffix) ||
      slice.find('/') != std::string_view::npos) {
    return invalid();
  }
  const std::string_view stem = slice.substr(0, slice.size() - kSuffix.size());
  if (stem == "-") {
    return std::string{};
  }
  std::string path;
  std::string prefix;
  for (std::string_view part : split(stem, '-')) {
    if (part.empty()) {  // "a--b.slice" and "-a.slice" are not slices
      return invalid();
    }
    if (!path.empty()) {
      path += '/';
    }
    path += prefix;
    path += part;
    path += kSuffix;
    prefix += part;
    prefix += '-';
  }
  return path;
}

Expected<CgroupPath> from_systemd(std::string_view cgroups_path, std::string_view container_id) {
  std::string_view slice;
  std::string prefix;
  std::string name;
  if (cgroups_path.empty()) {
    // runc's default for the systemd driver: runc-<id>.scope in system.slice.
    prefix = "runc";
    name = container_id;
  } else {
    const std::vector<std::string_view> fields = split(cgroups_path, ':');
    if (fields.size() != 3) {
      return make_error("linux.cgroupsPath " + quoted(cgroups_path) +
                        " is not of the form \"slice:prefix:name\" required by the systemd cgroup driver");
    }
    slice = fields[0];
    prefix = fields[1];
    name = fields[2];
  }
  if (slice.empty()) {
    slice = "system.slice";
  }
  auto parent = systemd_slice_path(slice);
  if (!parent) {
    return parent.error();
  }
  if (name.empty()) {
    return make_error("linux.cgroupsPath " + quoted(cgroups_path) + " has an empty unit name");
  }
  // A name that is itself a slice is used as the unit; otherwise runc makes a scope.
  const std::string unit = name.ends_with(".slice") ? name : prefix + "-" + name + ".scope";
  if (std::string problem = component_problem(unit); !problem.empty()) {
    return make_error("linux.cgroupsPath " + quoted(cgroups_path) + ": unit name " + quoted(unit) + ": " +
                      problem);
  }
  return parent->child(unit);
}

}  // namespace

Expected<CgroupPath> systemd_slice_path(std::string_view slice) {
  auto expanded = expand_slice(slice);
  if (!expanded) {
    return expanded.error();
  }
  return CgroupPath::parse(*expanded);
}

Expected<CgroupPath> CgroupPath::parse(std::string_view text) {
  std::string_view body = text;
  while (body.starts_with('/')) {
    body.remove_prefix(1);
  }
  while (body.ends_with('/')) {
    body.remove_suffix(1);
  }
  CgroupPath path;
  if (body.empty()) {
    return path;
  }
  for (std::string_view part : split(body, '/')) {
    if (std::string problem = component_problem(part); !problem.empty()) {
      return make_error("invalid cgroup path " + quoted(text) + ": " + problem);
    }
    path.parts_.emplace_back(part);
  }
  return path;
}

std::string CgroupPath::str() const {
  std::string out;
  for (const std::string& part : parts_) {
    if (!out.empty()) {
      out += '/';
    }
    out += part;
  }
  return out;
}

CgroupPath CgroupPath::parent() const {
  CgroupPath out = *this;
  if (!out.parts_.empty()) {
    out.parts_.pop_back();
  }
  return out;
}

CgroupPath CgroupPath::child(std::string_view name) const {
  CgroupPath out = *this;
  out.parts_.emplace_back(name);
  return out;
}

std::vector<CgroupPath> CgroupPath::ancestors() const {
  std::vector<CgroupPath> out;
  CgroupPath current;
  for (std::size_t i = 0; i + 1 < parts_.size(); ++i) {
    current.parts_.push_back(parts_[i]);
    out.push_back(current);
  }
  return out;
}

bool CgroupPath::is_within(const CgroupPath& other) const {
  if (other.parts_.size() > parts_.size()) {
    return false;
  }
  for (std::size_t i = 0; i < other.parts_.size(); ++i) {
    if (parts_[i] != other.parts_[i]) {
      return false;
    }
  }
  return true;
}

Expected<CgroupPath> cgroup_from_cgroups_path(std::string_view cgroups_path, bool systemd,
                                              std::string_view container_id,
                                              const CgroupPath& relative_base) {
  if (systemd) {
    return from_systemd(cgroups_path, container_id);
  }
  if (cgroups_path.empty()) {
    if (std::string problem = component_problem(container_id); !problem.empty()) {
      return make_error("container id " + quoted(container_id) + " cannot name a cgroup: " + problem);
    }
    return relative_base.child(container_id);
  }
  auto path = CgroupPath::parse(cgroups_path);
  if (!path) {
    return make_error("linux.cgroupsPath: " + path.error().message);
  }
  if (cgroups_path.starts_with('/')) {
    return path;
  }
  CgroupPath joined = relative_base;
  for (const std::string& part : path->parts()) {
    joined = joined.child(part);
  }
  return joined;
}

CgroupPath runc_relative_base(const CgroupPath& runc_own, bool unified) {
  return unified ? runc_own.parent() : runc_own;
}

}  // namespace isolcpus
