#include "fakes/fake_cgroup_v1.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace isolcpus {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCpus = "cpuset.cpus";
constexpr std::string_view kMems = "cpuset.mems";
constexpr std::string_view kFlag = "cpuset.sched_load_balance";
constexpr std::string_view kTasks = "tasks";

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void put(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) {
    throw std::runtime_error("fake cgroup v1: cannot write " + path.string());
  }
}

CgroupPath must_parse(std::string_view path) {
  auto parsed = CgroupPath::parse(path);
  if (!parsed) {
    throw std::invalid_argument("fake cgroup v1: bad path \"" + std::string(path) +
                                "\": " + parsed.error().message);
  }
  return *parsed;
}

CpuSet must_parse_cpus(std::string_view text) {
  auto parsed = CpuSet::parse(text);
  if (!parsed) {
    throw std::invalid_argument("fake cgroup v1: bad cpu list \"" + std::string(text) + "\"");
  }
  return *parsed;
}

}  // namespace

FakeCgroupV1::FakeCgroupV1(std::filesystem::path dir)
    : dir_(std::move(dir)), inner_(open_cgroup_tree(dir_)) {}

FakeCgroupV1& FakeCgroupV1::root(std::string_view cpus, std::string_view mems, bool flag) {
  fs::create_directories(dir_);
  put(dir_ / kCpus, must_parse_cpus(cpus).to_string() + "\n");
  put(dir_ / kMems, std::string(mems) + "\n");
  put(dir_ / kFlag, flag ? "1\n" : "0\n");
  put(dir_ / kTasks, "");
  return *this;
}

FakeCgroupV1& FakeCgroupV1::add(std::string_view path, std::string_view cpus, bool flag,
                                std::string_view tasks) {
  const auto dir = path_of(must_parse(path));
  fs::create_directories(dir);
  put(dir / kCpus, must_parse_cpus(cpus).to_string() + "\n");
  put(dir / kMems, trimmed(slurp(dir_ / kMems)) + "\n");
  put(dir / kFlag, flag ? "1\n" : "0\n");
  put(dir / kTasks, tasks.empty() ? std::string() : std::string(tasks) + "\n");
  return *this;
}

void FakeCgroupV1::collect_candidates(const CgroupPath& cg, CpuSet& out) const {
  for (const auto& child : children(cg)) {
    const auto cpus = cpus_of(child);
    if (trimmed(slurp(path_of(child) / kFlag)) == "1" && !cpus.empty()) {
      out |= cpus;  // a domain candidate: the kernel does not look below it
    } else {
      collect_candidates(child, out);
    }
  }
}

CpuSet FakeCgroupV1::unbalanced() const {
  if (trimmed(slurp(dir_ / kFlag)) != "0") {
    return {};
  }
  CpuSet candidates;
  collect_candidates(CgroupPath(), candidates);
  return cpus_of(CgroupPath()) - candidates;
}

std::string FakeCgroupV1::file(std::string_view path, std::string_view name) const {
  const auto full = path_of(must_parse(path)) / name;
  return fs::exists(full) ? trimmed(slurp(full)) : std::string();
}

bool FakeCgroupV1::dir_exists(std::string_view path) const {
  return fs::is_directory(path_of(must_parse(path)));
}

std::map<std::string, std::string> FakeCgroupV1::snapshot() const {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    const auto rel = entry.path().lexically_relative(dir_).string();
    out[rel] = entry.is_directory() ? "<dir>" : slurp(entry.path());
  }
  return out;
}

void FakeCgroupV1::fail_operation(unsigned nth) {
  fail_at_ = nth;
  counted_ = 0;
}

Expected<void> FakeCgroupV1::injected(const std::string& what) {
  if (before_mutation) {
    before_mutation();
  }
  log_.push_back(what);
  if (fail_at_ == 0) {
    return {};
  }
  if (++counted_ == fail_at_) {
    return make_error("fake cgroup v1: injected failure of operation " + std::to_string(fail_at_) + " (" +
                      what + "): Input/output error");
  }
  return {};
}

Expected<std::string> FakeCgroupV1::read(const CgroupPath& cg, std::string_view file) const {
  return inner_->read(cg, file);
}

Expected<void> FakeCgroupV1::write(const CgroupPath& cg, std::string_view file, std::string_view value) {
  if (auto ok = injected("write " + cg.str() + " " + std::string(file) + " " + std::string(value)); !ok) {
    return ok;
  }
  const auto einval = [&](const std::string& why) {
    return make_error("cannot write \"" + std::string(value) + "\" to " + describe(cg, file) +
                      ": Invalid argument (" + why + ")");
  };
  if (!exists(cg)) {
    return make_error("cannot open cgroup " + describe(cg, "") + ": No such file or directory");
  }
  std::string stored(value);
  if (file == kCpus) {
    if (cg.is_root()) {
      return make_error("cannot write to " + describe(cg, file) + ": Permission denied");
    }
    auto cpus = CpuSet::parse(value);
    if (!cpus) {
      return einval("not a cpu list");
    }
    if (!cpus_of(cg.parent()).contains(*cpus)) {
      return einval("not a subset of the parent's cpuset.cpus");
    }
    for (const auto& child : children(cg)) {
      if (!cpus->contains(cpus_of(child))) {
        return einval("child " + child.str() + " has CPUs outside it");
      }
    }
    stored = cpus->to_string() + "\n";
  } else if (file == kFlag) {
    auto text = trimmed(std::string(value));
    if (text != "0" && text != "1") {
      return einval("sched_load_balance takes 0 or 1");
    }
    stored = text + "\n";
  } else if (file == kMems) {
    auto mems = CpuSet::parse(value);
    if (!mems) {
      return einval("not a node list");
    }
    stored = mems->to_string() + "\n";
  }
  return inner_->write(cg, file, stored);
}

bool FakeCgroupV1::exists(const CgroupPath& cg) const { return inner_->exists(cg); }

bool FakeCgroupV1::has_file(const CgroupPath& cg, std::string_view file) const {
  return inner_->has_file(cg, file);
}

Expected<void> FakeCgroupV1::make(const CgroupPath& cg) {
  if (auto ok = injected("mkdir " + cg.str()); !ok) {
    return ok;
  }
  if (!cg.is_root() && exists(cg)) {
    return make_error("cannot create cgroup " + describe(cg, "") + ": File exists");
  }
  if (auto made = inner_->make(cg); !made) {
    return made;
  }
  // What runc and kubelet leave behind: the parent's CPUs, flag 1.
  const auto dir = path_of(cg);
  put(dir / kCpus, cpus_of(cg.parent()).to_string() + "\n");
  put(dir / kMems, "\n");
  put(dir / kFlag, "1\n");
  put(dir / kTasks, "");
  return {};
}

Expected<void> FakeCgroupV1::remove(const CgroupPath& cg) {
  if (auto ok = injected("rmdir " + cg.str()); !ok) {
    return ok;
  }
  if (cg.is_root() || !exists(cg)) {
    return make_error("cannot remove cgroup " + describe(cg, "") + ": No such file or directory");
  }
  if (!children(cg).empty() || !trimmed(slurp(path_of(cg) / kTasks)).empty()) {
    return make_error("cannot remove cgroup " + describe(cg, "") + ": Device or resource busy");
  }
  // A real cgroup's files vanish with it; here they must go first.
  for (const auto& entry : fs::directory_iterator(path_of(cg))) {
    fs::remove(entry.path());
  }
  return inner_->remove(cg);
}

std::vector<CgroupPath> FakeCgroupV1::children(const CgroupPath& cg) const { return inner_->children(cg); }

std::string FakeCgroupV1::describe(const CgroupPath& cg, std::string_view file) const {
  return inner_->describe(cg, file);
}

std::filesystem::path FakeCgroupV1::path_of(const CgroupPath& cg) const {
  auto path = dir_;
  for (const auto& part : cg.parts()) {
    path /= part;
  }
  return path;
}

CpuSet FakeCgroupV1::cpus_of(const CgroupPath& cg) const {
  auto cpus = CpuSet::parse(slurp(path_of(cg) / kCpus));
  return cpus ? *cpus : CpuSet{};
}

}  // namespace isolcpus
