#include "isolcpus/locate_runtime.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace isolcpus {
namespace {

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool valid = false;
};

FileId identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return {};
  }
  return {st.st_dev, st.st_ino, true};
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool is_self(const FileId& candidate, const FileId& self) {
  return candidate.valid && self.valid && candidate.dev == self.dev && candidate.ino == self.ino;
}

}  // namespace

Expected<std::string> locate_runtime(std::string_view configured, std::string_view self_exe) {
  const FileId self = identify(std::string(self_exe));
  if (!configured.empty()) {
    std::string path(configured);
    if (path.front() != '/') {
      return make_error("configured runtime \"" + path +
                        "\" is not an absolute path; set `runtime` to e.g. /usr/bin/runc");
    }
    if (!is_executable_file(path)) {
      return make_error("configured runtime " + path + " is not an executable file (" + std::strerror(errno) +
                        "); install runc there or fix `runtime` in the config");
    }
    if (is_self(identify(path), self)) {
      return make_error("configured runtime " + path +
                        " is runc-isolcpus itself; point `runtime` at the real runc (e.g. /usr/bin/runc)");
    }
    return path;
  }
  bool skipped_self = false;
  for (std::string_view dir : kSafeRuntimeDirs) {
    std::string path = std::string(dir) + "/runc";
    if (!is_executable_file(path)) {
      continue;
    }
    if (is_self(identify(path), self)) {
      skipped_self = true;
      continue;
    }
    return path;
  }
  std::string dirs;
  for (std::string_view dir : kSafeRuntimeDirs) {
    dirs += dirs.empty() ? "" : ", ";
    dirs += dir;
  }
  return make_error(std::string("cannot find the real runc in ") + dirs +
                    (skipped_self ? " (only runc-isolcpus itself is installed there as runc)" : "") +
                    "; install runc or set `runtime` in the config");
}

}  // namespace isolcpus
