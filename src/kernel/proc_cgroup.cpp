#include "isolcpus/proc_cgroup.hpp"

#include "isolcpus/text.hpp"

namespace isolcpus {

namespace fs = std::filesystem;

fs::path proc_cgroup_file(const fs::path& proc, int pid) { return proc / std::to_string(pid) / "cgroup"; }

std::optional<std::string> parse_proc_cgroup(std::string_view text, CgroupMode mode) {
  while (!text.empty()) {
    const auto newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    // "hierarchy-ID:controller-list:cgroup-path"; the path may hold ':'.
    const auto first = line.find(':');
    const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) {
      continue;
    }
    const std::string_view hierarchy = line.substr(0, first);
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string_view cgroup = line.substr(second + 1);
    if (mode == CgroupMode::kV2) {
      if (hierarchy == "0" && controllers.empty()) {
        return std::string(cgroup);
      }
      continue;
    }
    while (!controllers.empty()) {
      const auto comma = controllers.find(',');
      if (controllers.substr(0, comma) == "cpuset") {
        return std::string(cgroup);
      }
      controllers = comma == std::string_view::npos ? std::string_view{} : controllers.substr(comma + 1);
    }
  }
  return std::nullopt;
}

Expected<std::string> process_cpuset_cgroup(const fs::path& proc, int pid, CgroupMode mode) {
  const auto path = proc_cgroup_file(proc, pid);
  auto text = read_file_if_any(path);
  if (!text) {
    return make_error("cannot read " + path.string() + " (process gone?)");
  }
  if (auto cgroup = parse_proc_cgroup(*text, mode)) {
    return std::move(*cgroup);
  }
  return make_error(path.string() + " lists no " + (mode == CgroupMode::kV2 ? "cgroup v2" : "cpuset") +
                    " hierarchy for process " + std::to_string(pid));
}

}  // namespace isolcpus
