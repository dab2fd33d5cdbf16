// probe_host: which cgroup hierarchy carries the cpuset controller, which
// kernel runs, which CPUs exist.  Everything is read below host_root so tests
// can point it at a fake tree.
#include "isolcpus/host_probe.hpp"

#include <cctype>
#include <charconv>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "isolcpus/text.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

// A host path from mountinfo ("/sys/fs/cgroup/cpuset") seen from host_root.
fs::path under_root(const fs::path& host_root, std::string_view host_path) {
  while (!host_path.empty() && host_path.front() == '/') {
    host_path.remove_prefix(1);
  }
  return (host_root / fs::path(host_path)).lexically_normal();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const auto pos = s.find(sep);
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) {
      return out;
    }
    s.remove_prefix(pos + 1);
  }
}

bool has_word(std::string_view text, std::string_view word, char sep) {
  for (const auto item : split(text, sep)) {
    if (trim(item) == word) {
      return true;
    }
  }
  return false;
}

// The kernel escapes space, tab, newline and backslash in mountinfo paths as
// \ooo octal.
std::string unescape_mount_path(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const auto digits = s.substr(i + 1, 3);
      unsigned value = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + 3, value, 8);
      if (ec == std::errc() && end == digits.data() + 3 && value < 256) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

struct MountEntry {
  std::string mount_point;
  std::string fstype;
  std::string super_options;
};

// "36 25 0:31 / /sys/fs/cgroup/cpuset rw,relatime shared:12 - cgroup cgroup rw,cpuset"
std::optional<MountEntry> parse_mountinfo_line(std::string_view line) {
  std::vector<std::string_view> fields;
  for (const auto f : split(trim(line), ' ')) {
    if (!f.empty()) {
      fields.push_back(f);
    }
  }
  std::size_t dash = 0;
  for (std::size_t i = 6; i < fields.size(); ++i) {
    if (fields[i] == "-") {
      dash = i;
      break;
    }
  }
  if (dash == 0 || dash + 3 > fields.size()) {
    return std::nullopt;
  }
  MountEntry entry{unescape_mount_path(fields[4]), std::string(fields[dash + 1]), {}};
  if (dash + 3 < fields.size()) {
    entry.super_options = std::string(fields[dash + 3]);
  }
  return entry;
}

struct CpusetMount {
  CgroupMode mode = CgroupMode::kNone;
  fs::path path;
  fs::path cpu;  // the cpu controller's hierarchy
};

bool v2_has(const fs::path& mount, std::string_view controller) {
  const auto controllers = read_file_if_any(mount / "cgroup.controllers");
  return controllers && has_word(trim(*controllers), controller, ' ');
}

bool v2_has_cpuset(const fs::path& mount) { return v2_has(mount, "cpuset"); }

fs::path v2_cpu(const fs::path& mount) { return v2_has(mount, "cpu") ? mount : fs::path(); }

CpusetMount find_in_mountinfo(const fs::path& host_root, std::string_view mountinfo) {
  std::optional<fs::path> v1;
  fs::path v1_cpu;
  for (const auto line : split(mountinfo, '\n')) {
    const auto entry = parse_mountinfo_line(line);
    if (!entry) {
      continue;
    }
    const auto path = under_root(host_root, entry->mount_point);
    if (entry->fstype == "cgroup2" && v2_has_cpuset(path)) {
      return {CgroupMode::kV2, path, v2_cpu(path)};
    }
    if (entry->fstype == "cgroup" && !v1 && has_word(entry->super_options, "cpuset", ',')) {
      v1 = path;
    }
    if (entry->fstype == "cgroup" && v1_cpu.empty() && has_word(entry->super_options, "cpu", ',')) {
      v1_cpu = path;
    }
  }
  if (v1) {
    return {CgroupMode::kV1, *v1, v1_cpu};
  }
  return {};
}

// Fake trees have no mountinfo: recognise the usual layouts.
CpusetMount find_in_default_layout(const fs::path& host_root) {
  const auto v2 = host_root / "sys/fs/cgroup";
  if (v2_has_cpuset(v2)) {
    return {CgroupMode::kV2, v2.lexically_normal(), v2_cpu(v2.lexically_normal())};
  }
  const auto v1 = host_root / "sys/fs/cgroup/cpuset";
  if (fs::exists(v1 / "cpuset.cpus")) {
    const auto cpu = host_root / "sys/fs/cgroup/cpu";
    return {CgroupMode::kV1, v1.lexically_normal(),
            fs::exists(cpu / "cpu.cfs_quota_us") ? cpu.lexically_normal() : fs::path()};
  }
  return {};
}

Expected<CpuSet> read_cpu_list(const fs::path& path, bool required) {
  const auto text = read_file_if_any(path);
  if (!text) {
    if (!required) {
      return CpuSet{};
    }
    return make_error("cannot read " + path.string() + ": is host_root (" +
                      "config key host_root) pointing at a host's / with /sys mounted?");
  }
  auto cpus = CpuSet::parse(*text);
  if (!cpus) {
    return make_error("cannot parse the CPU list in " + path.string() + " (\"" + std::string(trim(*text)) +
                      "\"): " + cpus.error().message);
  }
  return cpus;
}

}  // namespace

Expected<KernelVersion> parse_kernel_release(std::string_view release) {
  const auto text = trim(release);
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  KernelVersion version;
  version.release = std::string(text);
  const auto bad = [&] {
    return make_error("cannot parse kernel release \"" + std::string(text) +
                      "\": expected <major>.<minor>[...] as printed by `uname -r`");
  };
  const auto [after_major, ec1] = std::from_chars(begin, end, version.major);
  if (ec1 != std::errc() || after_major == end || *after_major != '.') {
    return bad();
  }
  const auto [after_minor, ec2] = std::from_chars(after_major + 1, end, version.minor);
  if (ec2 != std::errc()) {
    return bad();
  }
  (void)after_minor;
  return version;
}

Expected<HostFacts> probe_host(const std::filesystem::path& host_root) {
  HostFacts facts;

  const auto mountinfo = read_file_if_any(host_root / "proc/self/mountinfo");
  const auto mount = mountinfo ? find_in_mountinfo(host_root, *mountinfo) : find_in_default_layout(host_root);
  facts.mode = mount.mode;
  facts.cpuset_mount = mount.path;
  facts.cpu_mount = mount.cpu;

  const auto osrelease_path = host_root / "proc/sys/kernel/osrelease";
  const auto osrelease = read_file_if_any(osrelease_path);
  if (!osrelease) {
    return make_error(
        "cannot read " + osrelease_path.string() +
        ": the kernel release decides which isolator applies; is /proc mounted under host_root?");
  }
  auto kernel = parse_kernel_release(*osrelease);
  if (!kernel) {
    return make_error(osrelease_path.string() + ": " + kernel.error().message);
  }
  facts.kernel = std::move(*kernel);

  const auto cpu_dir = host_root / "sys/devices/system/cpu";
  auto online = read_cpu_list(cpu_dir / "online", true);
  if (!online) {
    return online.error();
  }
  facts.online = std::move(*online);
  auto isolated = read_cpu_list(cpu_dir / "isolated", false);
  if (!isolated) {
    return isolated.error();
  }
  facts.boot_isolated = std::move(*isolated);
  return facts;
}

Expected<unsigned> possible_cpu_count(const fs::path& host_root) {
  const auto path = host_root / "sys/devices/system/cpu/possible";
  auto possible = read_cpu_list(path, true);
  if (!possible) {
    return possible.error();
  }
  const auto cpus = possible->cpus();
  if (cpus.empty()) {
    return make_error(path.string() + " lists no CPU");
  }
  return cpus.back() + 1;
}

}  // namespace isolcpus
