#include "lexical_path.hpp"

namespace isolcpus::cli {
namespace {

// Appends the components of `path` to `out`, which is "/" or a clean
// absolute path without trailing '/'.
void append_clean(std::string& out, std::string_view path) {
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      const std::size_t last = out.rfind('/');
      out.resize(last == 0 ? 1 : last);
      continue;
    }
    if (out.size() > 1) out.push_back('/');
    out.append(part);
  }
}

}  // namespace

std::string absolute_path(std::string_view path, std::string_view cwd) {
  std::string out;
  out.reserve(cwd.size() + path.size() + 1);
  out.push_back('/');
  if (!path.starts_with('/')) append_clean(out, cwd);
  append_clean(out, path);
  return out;
}

std::string joined_path(std::string_view path, std::string_view cwd) {
  if (path.starts_with('/')) {
    return std::string(path);
  }
  std::string out = absolute_path("", cwd);  // getcwd's path has no symlinks to resolve
  if (!path.empty()) {
    if (out.size() > 1) out.push_back('/');
    out.append(path);
  }
  return out;
}

bool is_valid_container_id(std::string_view id) {
  if (id.empty() || id == "." || id == "..") return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace isolcpus::cli
