#include "config_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "isolcpus/atomic_replace.hpp"
#include "isolcpus/text.hpp"

namespace isolcpus {
namespace fs = std::filesystem;
namespace {

Expected<void> errno_error(const std::string& what) { return make_error(what + ": " + std::strerror(errno)); }

// A new file with `text`, renamed over `target`: a crash leaves the old file
// or the new one, and at worst a stray temporary where no runtime reads.
Expected<void> put_in_place(const fs::path& target, std::string_view text, mode_t mode) {
  const fs::path above =
      target.parent_path().parent_path().empty() ? target.parent_path() : target.parent_path().parent_path();
  std::string name = (above / ".runc-isolcpus-configure.XXXXXX").string();
  std::vector<char> buf(name.begin(), name.end());
  buf.push_back('\0');
  const UniqueFd fd(::mkostemp(buf.data(), O_CLOEXEC));
  if (!fd) {
    return errno_error("cannot create a temporary file in " + above.string());
  }
  const fs::path tmp(buf.data());
  if (::fchmod(fd.get(), mode) != 0) {
    ::unlink(tmp.c_str());
    return errno_error("cannot chmod " + tmp.string());
  }
  auto ok = replace_with_temp(fd.get(), tmp, target, text, /*dir_sync_required=*/true);
  if (!ok) {
    ::unlink(tmp.c_str());  // gone already if only the directory's fsync failed
  }
  return ok;
}

Expected<void> sync_dir(const fs::path& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) {
    return errno_error("cannot sync directory " + dir.string());
  }
  return {};
}

}  // namespace

Expected<ConfigFile> read_config_file(const fs::path& path) {
  ConfigFile file;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return file;
    }
    return make_error("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  auto read = read_file_text(path);
  if (read.error != 0) {
    return make_error("cannot read " + path.string() + ": " + std::strerror(read.error));
  }
  file.text = std::move(read.text);
  file.exists = true;
  file.mode = st.st_mode & 07777;
  file.mtime_usec = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
  return file;
}

Expected<DirLock> DirLock::take(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    return make_error("cannot open " + dir.string() + ": " + std::strerror(errno));
  }
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return make_error("cannot lock " + dir.string() + ": " + std::strerror(errno));
    }
  }
  return DirLock(std::move(fd), dir);
}

fs::path backup_path(const fs::path& backup_dir, const fs::path& target) {
  return backup_dir / target.relative_path();
}

Expected<void> replace_config_file(const fs::path& target, const ConfigFile& before, std::string_view after,
                                   bool remove_when_empty, const fs::path& backup_dir, std::ostream& out) {
  if (before.exists) {
    const fs::path backup = backup_path(backup_dir, target);
    std::error_code ec;
    fs::create_directories(backup.parent_path(), ec);
    if (ec) {
      return make_error("cannot create " + backup.parent_path().string() + ": " + ec.message());
    }
    if (auto ok = put_in_place(backup, before.text, before.mode); !ok) {
      return ok;
    }
    out << "saved the previous " << target.string() << " as " << backup.string() << "\n";
  }
  if (after.empty() && remove_when_empty) {
    if (::unlink(target.c_str()) != 0) {
      return errno_error("cannot remove " + target.string());
    }
    out << "removed " << target.string() << "\n";
    return sync_dir(target.parent_path());
  }
  if (auto ok = put_in_place(target, after, before.mode); !ok) {
    return ok;
  }
  out << "wrote " << target.string() << "\n";
  return {};
}

}  // namespace isolcpus
