#include "isolcpus/kernel_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "isolcpus/atomic_replace.hpp"
#include "isolcpus/text.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kOwnPrefix = "90-runc-isolcpus-";

bool clean_absolute(std::string_view path) {
  if (!path.starts_with('/') || path.find('\0') != std::string_view::npos) {
    return false;
  }
  for (const auto& part : fs::path(path)) {
    if (part == "." || part == "..") {
      return false;
    }
  }
  return true;
}

class HostKernelFiles final : public KernelFiles {
 public:
  HostKernelFiles(fs::path root, std::vector<std::string> writable)
      : root_(std::move(root)), writable_(std::move(writable)) {}

  [[nodiscard]] Expected<std::string> read(std::string_view file) const override {
    if (!clean_absolute(file)) {
      return make_error("refusing to read \"" + std::string(file) + "\": not a plain absolute path");
    }
    // Never waits: a FIFO planted where a file should be is refused, not read.
    auto text = read_regular_file(host(file), kMaxRead, /*no_follow=*/false, file);
    if (!text) {
      return text.error();
    }
    return std::string(trim_right(*text));
  }

  Expected<void> write(std::string_view file, std::string_view value) override {
    if (!path_under(file, writable_)) {
      return make_error("refusing to write " + std::string(file) +
                        ": not a file this tool changes (the ledger may have been edited by hand)");
    }
    // The last component is never a link: sysfs attributes are plain files.
    UniqueFd fd(::open(host(file).c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
      return make_error("cannot open " + std::string(file) + " for writing: " + std::strerror(errno));
    }
    const ssize_t n = ::write(fd.get(), value.data(), value.size());
    if (n < 0) {
      return make_error("the kernel refused \"" + std::string(value) + "\" in " + std::string(file) + ": " +
                        std::strerror(errno));
    }
    if (static_cast<std::size_t>(n) != value.size()) {
      return make_error("short write of \"" + std::string(value) + "\" to " + std::string(file));
    }
    return {};
  }

  Expected<void> create(std::string_view file, std::string_view content) override {
    if (!ours(file)) {
      return make_error("refusing to create " + std::string(file) + ": not a file this tool writes");
    }
    std::error_code ec;
    fs::create_directories(host(file).parent_path(), ec);
    if (ec) {
      return make_error("cannot make the directory of " + std::string(file) + ": " + ec.message());
    }
    const fs::path target = host(file);
    const fs::path temp = target.string() + ".tmp." + std::to_string(::getpid());
    (void)::unlink(temp.c_str());  // a crashed writer's of the same pid
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) {
      return make_error("cannot create " + temp.string() + ": " + std::strerror(errno));
    }
    // systemd reads it at its next daemon-reload: a lost fsync of the
    // directory loses nothing a reconcile would not write again.
    return replace_with_temp(fd.get(), temp, target, std::string(content) + "\n", false);
  }

  Expected<void> remove(std::string_view file) override {
    if (!ours(file)) {
      return make_error("refusing to remove " + std::string(file) + ": not a file this tool writes");
    }
    if (::unlink(host(file).c_str()) != 0 && errno != ENOENT) {
      return make_error("cannot remove " + std::string(file) + ": " + std::strerror(errno));
    }
    return {};
  }

  [[nodiscard]] bool exists(std::string_view file) const override {
    std::error_code ec;
    return clean_absolute(file) && fs::exists(host(file), ec);
  }

  [[nodiscard]] std::vector<std::string> list(std::string_view dir) const override {
    std::vector<std::string> names;
    std::error_code ec;
    if (!clean_absolute(dir)) {
      return names;
    }
    for (fs::directory_iterator it(host(dir), ec), end; !ec && it != end; it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  [[nodiscard]] Expected<std::string> resolve(std::string_view path) const override {
    std::error_code ec;
    const fs::path real = fs::canonical(host(path), ec);
    if (ec || !clean_absolute(path)) {
      return make_error("cannot resolve " + std::string(path) + ": " + ec.message());
    }
    const fs::path rel = real.lexically_relative(fs::canonical(root_, ec));
    if (ec || rel.empty() || *rel.begin() == "..") {
      return make_error(std::string(path) + " leads outside the host root");
    }
    return "/" + rel.string();
  }

 private:
  [[nodiscard]] fs::path host(std::string_view file) const { return root_ / fs::path(file).relative_path(); }
  // Files are made and removed only as this tool's own drop-ins.
  [[nodiscard]] bool ours(std::string_view file) const {
    return path_under(file, writable_) && fs::path(file).filename().string().starts_with(kOwnPrefix);
  }
  static constexpr std::size_t kMaxRead = std::size_t{1} << 20;
  fs::path root_;
  std::vector<std::string> writable_;
};

}  // namespace

bool path_under(std::string_view path, const std::vector<std::string>& prefixes) {
  return clean_absolute(path) && std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) {
           return !p.empty() && p.back() == '/' && path.starts_with(p) && path.size() > p.size();
         });
}

std::unique_ptr<KernelFiles> open_kernel_files(fs::path host_root, std::vector<std::string> writable) {
  return std::make_unique<HostKernelFiles>(std::move(host_root), std::move(writable));
}

}  // namespace isolcpus
