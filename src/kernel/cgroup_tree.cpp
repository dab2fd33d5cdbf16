// The real cgroup hierarchy.  Every path is walked one component at a time
// from the mount with O_NOFOLLOW, so a symlink planted by a container (or a
// hostile cgroupsPath) cannot redirect a write outside the hierarchy.
#include "isolcpus/cgroup_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/unique_fd.hpp"

namespace isolcpus {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

bool valid_file_name(std::string_view file) {
  return !file.empty() && file != "." && file != ".." && file.find('/') == std::string_view::npos &&
         file.find('\0') == std::string_view::npos;
}

// Closes a DIR* exactly once (it also owns the fd it was opened from).
struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

class RealCgroupTree final : public CgroupTree {
 public:
  explicit RealCgroupTree(std::filesystem::path mount) : mount_(std::move(mount)) {}

  [[nodiscard]] Expected<std::string> read(const CgroupPath& cg, std::string_view file) const override {
    auto fd = open_file(cg, file, O_RDONLY);
    if (!fd) {
      return fd.error();
    }
    std::string content;
    char buf[4096];
    while (true) {
      const ssize_t n = ::read(fd->get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return failure("cannot read", cg, file, errno);
      }
      if (n == 0) {
        return content;
      }
      content.append(buf, static_cast<std::size_t>(n));
    }
  }

  Expected<void> write(const CgroupPath& cg, std::string_view file, std::string_view value) override {
    // O_TRUNC is ignored by kernel cgroup files but lets a temp-dir tree
    // (tests) hold exactly the last value written.
    auto fd = open_file(cg, file, O_WRONLY | O_TRUNC);
    if (!fd) {
      return fd.error();
    }
    // One write(2): the kernel parses each write as a whole value.
    ssize_t n = 0;
    do {
      n = ::write(fd->get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      return make_error("cannot write \"" + printable(value) + "\" to " + describe(cg, file) + ": " +
                        errno_text(errno));
    }
    if (static_cast<std::size_t>(n) != value.size()) {
      return make_error("short write of \"" + printable(value) + "\" to " + describe(cg, file) + ": " +
                        std::to_string(n) + " of " + std::to_string(value.size()) + " bytes");
    }
    return {};
  }

  [[nodiscard]] bool exists(const CgroupPath& cg) const override { return open_dir(cg).has_value(); }

  [[nodiscard]] bool has_file(const CgroupPath& cg, std::string_view file) const override {
    if (!valid_file_name(file)) {
      return false;
    }
    auto dir = open_dir(cg);
    if (!dir) {
      return false;
    }
    struct stat st {};
    const std::string name(file);
    return ::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
  }

  Expected<void> make(const CgroupPath& cg) override {
    if (cg.is_root()) {
      return make_error("cannot create the root of " + mount_.string() + ": it is the mount itself");
    }
    auto parent = open_dir(cg.parent());
    if (!parent) {
      return parent.error();
    }
    if (::mkdirat(parent->get(), cg.parts().back().c_str(), 0755) != 0) {
      return make_error("cannot create cgroup " + describe(cg, "") + ": " + errno_text(errno));
    }
    return {};
  }

  Expected<void> remove(const CgroupPath& cg) override {
    if (cg.is_root()) {
      return make_error("refusing to remove the root of " + mount_.string());
    }
    auto parent = open_dir(cg.parent());
    if (!parent) {
      return parent.error();
    }
    if (::unlinkat(parent->get(), cg.parts().back().c_str(), AT_REMOVEDIR) != 0) {
      return make_error("cannot remove cgroup " + describe(cg, "") + ": " + errno_text(errno));
    }
    return {};
  }

  [[nodiscard]] std::vector<CgroupPath> children(const CgroupPath& cg) const override {
    std::vector<CgroupPath> out;
    auto dir = open_dir(cg);
    if (!dir) {
      return out;
    }
    // O_PATH fds cannot be listed: reopen the same directory for reading.
    const int listing = ::openat(dir->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (listing < 0) {
      return out;
    }
    std::unique_ptr<DIR, DirCloser> stream(::fdopendir(listing));
    if (!stream) {
      ::close(listing);
      return out;
    }
    while (const dirent* entry = ::readdir(stream.get())) {
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") {
        continue;
      }
      bool is_dir = entry->d_type == DT_DIR;
      if (entry->d_type == DT_UNKNOWN) {
        struct stat st {};
        is_dir = ::fstatat(::dirfd(stream.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                 S_ISDIR(st.st_mode);
      }
      if (is_dir) {
        out.push_back(cg.child(name));
      }
    }
    std::sort(out.begin(), out.end(),
              [](const CgroupPath& a, const CgroupPath& b) { return a.str() < b.str(); });
    return out;
  }

  [[nodiscard]] std::string describe(const CgroupPath& cg, std::string_view file) const override {
    std::filesystem::path path = mount_;
    for (const std::string& part : cg.parts()) {
      path /= part;
    }
    if (!file.empty()) {
      path /= std::string(file);
    }
    return path.string();
  }

 private:
  static std::string printable(std::string_view value) {
    std::string out;
    for (char c : value) {
      if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    return out;
  }

  [[nodiscard]] Error failure(std::string_view what, const CgroupPath& cg, std::string_view file,
                              int err) const {
    return make_error(std::string(what) + " " + describe(cg, file) + ": " + errno_text(err));
  }

  [[nodiscard]] Expected<UniqueFd> open_dir(const CgroupPath& cg) const {
    // The mount itself is trusted configuration (host_root applied): follow it.
    UniqueFd fd(::open(mount_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
      return make_error("cannot open cgroup mount " + mount_.string() + ": " + errno_text(errno));
    }
    CgroupPath walked;
    for (const std::string& part : cg.parts()) {
      walked = walked.child(part);
      UniqueFd next(::openat(fd.get(), part.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC));
      if (!next) {
        const int err = errno;
        if (err == ENOTDIR || err == ELOOP) {
          return make_error("cgroup " + describe(walked, "") +
                            " is not a directory (symlinks are not followed inside the hierarchy)");
        }
        return failure("cannot open cgroup", walked, "", err);
      }
      fd = std::move(next);
    }
    return fd;
  }

  [[nodiscard]] Expected<UniqueFd> open_file(const CgroupPath& cg, std::string_view file, int flags) const {
    if (!valid_file_name(file)) {
      return make_error("invalid cgroup file name \"" + std::string(file) + "\" under " + describe(cg, ""));
    }
    auto dir = open_dir(cg);
    if (!dir) {
      return dir.error();
    }
    const std::string name(file);
    UniqueFd fd(::openat(dir->get(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      return failure("cannot open", cg, file, errno);
    }
    return fd;
  }

  std::filesystem::path mount_;
};

}  // namespace

std::unique_ptr<CgroupTree> open_cgroup_tree(const std::filesystem::path& mount) {
  return std::make_unique<RealCgroupTree>(mount);
}

bool cgroup_in_use(const CgroupTree& tree, const CgroupPath& cg) {
  if (!tree.children(cg).empty()) {
    return true;
  }
  auto procs = tree.read(cg, "cgroup.procs");
  return procs && procs->find_first_not_of(" \n") != std::string::npos;
}

}  // namespace isolcpus
