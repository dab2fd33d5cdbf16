#include "fakes/fake_kernel_files.hpp"

#include <charconv>
#include <cstdint>

#include "isolcpus/cpu_mask.hpp"

namespace isolcpus {
namespace {

bool integer(std::string_view s, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string leaf(std::string_view file) { return std::string(file.substr(file.rfind('/') + 1)); }

std::string dir_of(std::string_view file) { return std::string(file.substr(0, file.rfind('/'))); }

}  // namespace

FakeKernelFiles::FakeKernelFiles(const TempDir& root)
    : root_(root),
      real_(open_kernel_files(root.path(), {"/sys/", "/proc/", "/run/systemd/system.control/"})) {}

Expected<std::string> FakeKernelFiles::read(std::string_view file) const { return real_->read(file); }

Expected<void> FakeKernelFiles::create(std::string_view file, std::string_view content) {
  writes.push_back(std::string(file) + "=" + std::string(content));
  if (refuse) {
    if (auto why = refuse(file, content)) {
      return make_error("cannot create " + std::string(file) + ": " + *why);
    }
  }
  return real_->create(file, content);
}

Expected<void> FakeKernelFiles::remove(std::string_view file) {
  writes.push_back(std::string(file) + " removed");
  return real_->remove(file);
}

bool FakeKernelFiles::exists(std::string_view file) const { return real_->exists(file); }

std::vector<std::string> FakeKernelFiles::list(std::string_view dir) const { return real_->list(dir); }

Expected<std::string> FakeKernelFiles::resolve(std::string_view path) const { return real_->resolve(path); }

Expected<void> FakeKernelFiles::write(std::string_view file, std::string_view value) {
  writes.push_back(std::string(file) + "=" + std::string(value));
  if (!real_->exists(file)) {
    return make_error("cannot open " + std::string(file) + " for writing: No such file or directory");
  }
  if (refuse) {
    if (auto why = refuse(file, value)) {
      return make_error("the kernel refused \"" + std::string(value) + "\" in " + std::string(file) + ": " +
                        *why);
    }
  }
  const auto invalid = [&] {
    return make_error("the kernel refused \"" + std::string(value) + "\" in " + std::string(file) +
                      ": Invalid argument");
  };
  const std::string name = leaf(file);
  std::int64_t n = 0;
  std::string stored(value);
  if (name == "pm_qos_resume_latency_us") {
    if (value != "n/a" && !(integer(value, n) && n >= 0 && n <= INT32_MAX)) {
      return invalid();
    }
  } else if (name == "scaling_governor") {
    auto available = real_->read(dir_of(file) + "/scaling_available_governors");
    if (!available || (" " + *available + " ").find(" " + stored + " ") == std::string::npos) {
      return invalid();
    }
  } else if (name == "cpu.max") {
    const auto space = value.find(' ');
    const auto quota = value.substr(0, space);
    if (space == std::string_view::npos || !(quota == "max" || (integer(quota, n) && n >= 1000)) ||
        !integer(value.substr(space + 1), n)) {
      return invalid();
    }
  } else if (name == "smp_affinity" || name == "default_smp_affinity") {
    // The kernel refuses a mask with no CPU in it (EINVAL), and prints it
    // back in its own layout, which the fake keeps from the file.
    auto mask = parse_cpu_mask(value);
    if (!mask || mask->empty()) {
      return invalid();
    }
    auto before = real_->read(file);
    stored = format_cpu_mask_like(before ? *before : std::string(value), *mask);
  } else if (name == "cpu.cfs_quota_us") {
    if (!(integer(value, n) && (n == -1 || n >= 1000))) {
      return invalid();
    }
  }
  const TempDir& root = root_;
  root.write_file(std::filesystem::path(file).relative_path(), stored + "\n");
  return {};
}

}  // namespace isolcpus
