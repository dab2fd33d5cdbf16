#include "fakes/fake_cgroup_v2.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace isolcpus {

namespace {

constexpr std::string_view kExclusive = "cpuset.cpus.exclusive";
constexpr std::string_view kPartition = "cpuset.cpus.partition";

CgroupPath path_of(std::string_view text) {
  auto path = CgroupPath::parse(text);
  if (!path) {
    throw std::invalid_argument(path.error().message);
  }
  return *path;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string line(const CpuSet& cpus) { return cpus.to_string() + "\n"; }

void put_file(const std::filesystem::path& file, std::string_view content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) {
    throw std::runtime_error("cannot write " + file.string());
  }
}

}  // namespace

FakeCgroupV2::FakeCgroupV2() : FakeCgroupV2(Options{}) {}

FakeCgroupV2::FakeCgroupV2(Options options)
    : options_(std::move(options)), mount_(options_.mount.empty() ? dir_ / "cgroup" : options_.mount) {
  std::filesystem::create_directories(mount_);
  real_ = open_cgroup_tree(mount_);
  populate(CgroupPath{}, {});
}

void FakeCgroupV2::populate(const CgroupPath& cg, const CpuSet& cpus) {
  const std::filesystem::path dir = mount_ / cg.str();
  const auto put = [&](std::string_view name, const std::string& content) { put_file(dir / name, content); };
  if (cg.is_root()) {
    put("cgroup.controllers", "cpuset cpu io memory pids\n");
    put("cgroup.subtree_control", "cpuset\n");
    put("cpuset.cpus.effective", line(options_.online));
    if (options_.has_root_isolated) {
      put("cpuset.cpus.isolated", "\n");
    }
    return;
  }
  put("cgroup.controllers", "cpuset cpu\n");
  put("cgroup.procs", "");
  put("cgroup.subtree_control", "\n");
  put("cpuset.cpus", line(cpus));
  put("cpuset.cpus.effective", line(cpus.empty() ? options_.online : cpus));
  put("cpuset.mems", "\n");
  if (options_.has_exclusive) {
    put(kExclusive, "\n");
  }
  put(kPartition, "member\n");
  if (!options_.cpu_max.empty()) {
    put("cpu.max", options_.cpu_max);
  }
}

void FakeCgroupV2::add_cgroup(std::string_view cg, const CpuSet& cpus) {
  const CgroupPath target = path_of(cg);
  CgroupPath walked;
  set_file("", "cgroup.subtree_control", "cpuset\n");
  for (const std::string& part : target.parts()) {
    walked = walked.child(part);
    if (!real_->exists(walked)) {
      std::filesystem::create_directory(mount_ / walked.str());
      populate(walked, walked == target ? cpus : CpuSet{});
    }
    if (walked != target) {
      set_file(walked.str(), "cgroup.subtree_control", "cpuset\n");
    }
  }
  if (!cpus.empty()) {
    set_file(cg, "cpuset.cpus", line(cpus));
  }
}

void FakeCgroupV2::set_file(std::string_view cg, std::string_view file, std::string_view content) {
  put_file(mount_ / path_of(cg).str() / file, content);
}

std::string FakeCgroupV2::file(std::string_view cg, std::string_view name) const {
  auto content = real_->read(path_of(cg), name);
  if (!content) {
    throw std::runtime_error(content.error().message);
  }
  return *content;
}

CpuSet FakeCgroupV2::exclusive(std::string_view cg) const { return cpus_of(path_of(cg), kExclusive); }

CpuSet FakeCgroupV2::cpus_in(std::string_view cg) const { return cpus_of(path_of(cg), "cpuset.cpus"); }

std::string FakeCgroupV2::partition(std::string_view cg) const {
  return std::string(trim(file(cg, kPartition)));
}

CpuSet FakeCgroupV2::root_isolated() const { return cpus_of(CgroupPath{}, "cpuset.cpus.isolated"); }

std::map<std::string, std::string> FakeCgroupV2::snapshot() const {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(mount_)) {
    const std::string rel = entry.path().lexically_relative(mount_).string();  // no symlinks here
    if (entry.is_directory()) {
      out[rel + "/"] = "";
    } else {
      std::ifstream in(entry.path(), std::ios::binary);
      out[rel] = std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  return out;
}

CpuSet FakeCgroupV2::cpus_of(const CgroupPath& cg, std::string_view name) const {
  if (!real_->has_file(cg, name)) {
    return {};
  }
  auto content = real_->read(cg, name);
  if (!content) {
    throw std::runtime_error(content.error().message);
  }
  auto cpus = CpuSet::parse(*content);
  if (!cpus) {
    throw std::runtime_error("fake: " + real_->describe(cg, name) + " holds junk: " + cpus.error().message);
  }
  return *cpus;
}

Error FakeCgroupV2::kernel_error(const CgroupPath& cg, std::string_view name, std::string_view value,
                                 std::string_view errno_text) const {
  return make_error("cannot write \"" + std::string(trim(value)) + "\" to " + real_->describe(cg, name) +
                    ": " + std::string(errno_text));
}

Expected<std::string> FakeCgroupV2::read(const CgroupPath& cg, std::string_view name) const {
  return real_->read(cg, name);
}

Expected<void> FakeCgroupV2::write(const CgroupPath& cg, std::string_view name, std::string_view value) {
  if (before_write) {
    before_write();
  }
  ++writes_;
  log_.push_back(cg.str() + ":" + std::string(name) + "=" + std::string(value));
  if (writes_ == fail_at_) {
    return kernel_error(cg, name, value, "Input/output error (injected failure)");
  }
  if (!real_->has_file(cg, name)) {
    return real_->write(cg, name, value);  // the real error: no such file
  }
  if (name == kExclusive) {
    return write_exclusive(cg, value);
  }
  if (name == kPartition) {
    return write_partition(cg, value);
  }
  if (name == "cpuset.cpus") {
    return write_cpus(cg, value);
  }
  return real_->write(cg, name, value);
}

// 6.12 accepts a member's cpuset.cpus over a sibling partition's CPUs and
// invalidates the partition instead (update_cpumask's sibling loop).
Expected<void> FakeCgroupV2::write_cpus(const CgroupPath& cg, std::string_view value) {
  if (auto ok = real_->write(cg, "cpuset.cpus", value); !ok) {
    return ok;
  }
  const CpuSet cpus = cpus_of(cg, "cpuset.cpus");
  for (const CgroupPath& sibling : real_->children(cg.parent())) {
    if (sibling != cg && valid(sibling) && claim_of(sibling).intersects(cpus)) {
      invalidate(sibling.str());
    }
  }
  return {};
}

Expected<void> FakeCgroupV2::write_exclusive(const CgroupPath& cg, std::string_view value) {
  if (value.empty()) {
    return {};  // the kernel ignores an empty write: "\n" is how to clear
  }
  auto parsed = CpuSet::parse(value);
  if (!parsed) {
    return kernel_error(cg, kExclusive, value, "Invalid argument");
  }
  const CpuSet wanted = *parsed;
  const CgroupPath parent = cg.parent();
  if (!parent.is_root() && !cpus_of(parent, kExclusive).contains(wanted)) {
    return kernel_error(cg, kExclusive, value, "Invalid argument (not within the parent's exclusive CPUs)");
  }
  if (!options_.online.contains(wanted)) {
    return kernel_error(cg, kExclusive, value, "Invalid argument (offline CPUs)");
  }
  for (const CgroupPath& sibling : real_->children(parent)) {
    if (sibling != cg && cpus_of(sibling, kExclusive).intersects(wanted)) {
      return kernel_error(cg, kExclusive, value, "Invalid argument (overlaps sibling " + sibling.str() + ")");
    }
    // validate_change(): a sibling left with only claimed CPUs would have none.
    const CpuSet sibling_cpus = cpus_of(sibling, "cpuset.cpus");
    if (sibling != cg && !sibling_cpus.empty() && wanted.contains(sibling_cpus)) {
      return kernel_error(cg, kExclusive, value,
                          "Invalid argument (sibling " + sibling.str() + " runs only on these CPUs)");
    }
  }
  for (const CgroupPath& child : real_->children(cg)) {
    if (!wanted.contains(cpus_of(child, kExclusive))) {
      return kernel_error(cg, kExclusive, value,
                          "Device or resource busy (child " + child.str() + " holds more)");
    }
  }
  if (options_.exclusive_within_own_cpus) {
    const CpuSet own = cpus_of(cg, "cpuset.cpus");
    if (!own.empty() && !own.contains(wanted)) {
      return kernel_error(cg, kExclusive, value, "Invalid argument (not within own cpuset.cpus)");
    }
  }
  if (auto ok = real_->write(cg, kExclusive, line(wanted)); !ok) {
    return ok;
  }
  recompute();
  return {};
}

void FakeCgroupV2::invalidate(std::string_view cg) {
  const std::string name = path_of(cg).str();
  if (requested_.contains(name) && !invalidated_.contains(name)) {
    zombie_cpus_[name] = valid(path_of(cg)) ? claim_of(path_of(cg)) : CpuSet{};
    invalidated_.insert(name);
    recompute();
  }
}

CpuSet FakeCgroupV2::sched_null() const { return isolated_now() | stale_; }

CpuSet FakeCgroupV2::claim_of(const CgroupPath& cg) const {
  const CpuSet exclusive = cpus_of(cg, kExclusive);
  // A local partition under the root claims its cpuset.cpus.
  return exclusive.empty() && cg.parent().is_root() ? cpus_of(cg, "cpuset.cpus") : exclusive;
}

bool FakeCgroupV2::valid(const CgroupPath& cg) const {
  return requested_.contains(cg.str()) && !invalidated_.contains(cg.str()) && invalid_reason(cg).empty();
}

Expected<void> FakeCgroupV2::write_partition(const CgroupPath& cg, std::string_view value) {
  const std::string keyword(trim(value));
  if (keyword != "member" && keyword != "root" && keyword != "isolated") {
    return kernel_error(cg, kPartition, value, "Invalid argument");
  }
  const bool was_valid = valid(cg);
  const CpuSet was_claimed = was_valid ? claim_of(cg) : CpuSet{};
  if (invalidated_.contains(cg.str())) {
    if (keyword != "member") {
      return {};  // its CPUs are still in the kernel's remote mask: it stays invalid
    }
    // 6.12 hands the CPUs back without rebuilding the sched domains.
    stale_ |= zombie_cpus_[cg.str()];
    zombie_cpus_.erase(cg.str());
    invalidated_.erase(cg.str());
  }
  if (keyword == "member") {
    requested_.erase(cg.str());
    if (auto ok = real_->write(cg, kPartition, "member\n"); !ok) {
      return ok;
    }
    if (was_valid) {
      leaked_ -= was_claimed;  // a local partition over leaked CPUs returns them
    }
  } else {
    requested_[cg.str()] = keyword;
  }
  recompute();
  if (was_valid || valid(cg)) {
    stale_ = CpuSet{};  // a valid partition came or went: the domains are rebuilt
  }
  return {};
}

std::string FakeCgroupV2::invalid_reason(const CgroupPath& cg) const {
  const CpuSet claimed = claim_of(cg);
  if (claimed.empty()) {
    return "Invalid cpu list in cpuset.cpus.exclusive";
  }
  if ((options_.online - claimed).empty()) {
    return "Parent unable to distribute cpu downstream";
  }
  for (const CgroupPath& ancestor : cg.ancestors()) {
    if (requested_.contains(ancestor.str())) {
      return "Ancestor " + ancestor.str() + " is a partition root";
    }
    if (!cpus_of(ancestor, kExclusive).contains(claimed)) {
      return "Invalid cpu list in cpuset.cpus.exclusive";
    }
  }
  return {};
}

// The kernel's isolated mask: valid isolated partitions, the CPUs invalidated
// ones still hold, and CPUs leaked by removing those.
CpuSet FakeCgroupV2::isolated_now() const {
  CpuSet isolated = leaked_;
  for (const auto& [name, keyword] : requested_) {
    if (invalidated_.contains(name)) {
      isolated |= zombie_cpus_.at(name);
    } else if (keyword == "isolated" && invalid_reason(path_of(name)).empty()) {
      isolated |= claim_of(path_of(name));
    }
  }
  return isolated;
}

void FakeCgroupV2::recompute() {
  for (const auto& [name, keyword] : requested_) {
    const CgroupPath cg = path_of(name);
    const std::string reason = invalid_reason(cg);
    const bool by_kernel = invalidated_.contains(name);
    const std::string shown = by_kernel        ? keyword + " invalid"
                              : reason.empty() ? keyword
                                               : keyword + " invalid (" + reason + ")";
    if (!real_->write(cg, kPartition, shown + "\n")) {
      throw std::runtime_error("fake: cannot store partition state of " + name);
    }
  }
  if (options_.has_root_isolated) {
    if (!real_->write(CgroupPath{}, "cpuset.cpus.isolated", line(isolated_now()))) {
      throw std::runtime_error("fake: cannot store the root's cpuset.cpus.isolated");
    }
  }
}

bool FakeCgroupV2::exists(const CgroupPath& cg) const { return real_->exists(cg); }

bool FakeCgroupV2::has_file(const CgroupPath& cg, std::string_view name) const {
  return real_->has_file(cg, name);
}

Expected<void> FakeCgroupV2::make(const CgroupPath& cg) {
  if (auto ok = real_->make(cg); !ok) {
    return ok;
  }
  populate(cg, {});
  return {};
}

Expected<void> FakeCgroupV2::remove(const CgroupPath& cg) {
  if (cg.is_root() || !real_->exists(cg)) {
    return real_->remove(cg);
  }
  if (!real_->children(cg).empty()) {
    return make_error("cannot remove cgroup " + real_->describe(cg, "") + ": Device or resource busy");
  }
  // Kernel cgroup files vanish with their directory; a temp dir needs help.
  for (const auto& entry : std::filesystem::directory_iterator(mount_ / cg.str())) {
    std::filesystem::remove(entry.path());
  }
  if (auto ok = real_->remove(cg); !ok) {
    return ok;
  }
  // A removed valid partition rejoins its parent (ancestors keep their
  // claims); 6.12 does not clean up an invalidated one: its CPUs leak.
  const bool was_valid = valid(cg);
  if (invalidated_.erase(cg.str()) > 0) {
    leaked_ |= zombie_cpus_[cg.str()];
    zombie_cpus_.erase(cg.str());
  }
  if (requested_.erase(cg.str()) > 0) {
    recompute();
  }
  if (was_valid) {
    stale_ = CpuSet{};
  }
  return {};
}

std::vector<CgroupPath> FakeCgroupV2::children(const CgroupPath& cg) const { return real_->children(cg); }

std::string FakeCgroupV2::describe(const CgroupPath& cg, std::string_view name) const {
  return real_->describe(cg, name);
}

}  // namespace isolcpus
