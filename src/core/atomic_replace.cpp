#include "isolcpus/atomic_replace.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

Expected<void> failed(const std::string& what) { return make_error(what + ": " + std::strerror(errno)); }

}  // namespace

Expected<void> replace_with_temp(int fd, const std::filesystem::path& temp,
                                 const std::filesystem::path& target, std::string_view text,
                                 bool dir_sync_required) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return failed("cannot write " + temp.string());
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) {
    return failed("cannot fsync " + temp.string());
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    return failed("cannot replace " + target.string());
  }
  const UniqueFd dir(::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if ((!dir || ::fsync(dir.get()) != 0) && dir_sync_required) {
    return failed("cannot sync directory " + target.parent_path().string());
  }
  return {};
}

}  // namespace isolcpus
