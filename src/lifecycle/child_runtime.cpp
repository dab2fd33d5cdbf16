#include "child_runtime.hpp"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "isolcpus/unique_fd.hpp"

extern char** environ;  // NOLINT: POSIX interface

namespace isolcpus {
namespace {

Expected<UniqueFd> memfd_with(const std::string& bytes) {
  UniqueFd fd(::memfd_create("runc-isolcpus-stdin", MFD_CLOEXEC));
  if (!fd) {
    return make_error(std::string("memfd_create: ") + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return make_error(std::string("cannot buffer stdin: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
    return make_error(std::string("cannot rewind buffered stdin: ") + std::strerror(errno));
  }
  return fd;
}

}  // namespace

Expected<std::string> read_all_stdin() {
  std::string bytes;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return make_error(std::string("cannot read stdin: ") + std::strerror(errno));
    }
    if (n == 0) {
      return bytes;
    }
    bytes.append(buf, static_cast<std::size_t>(n));
  }
}

Expected<void> replace_stdin(const std::string& bytes) {
  auto fd = memfd_with(bytes);
  if (!fd) {
    return fd.error();
  }
  // dup2 clears FD_CLOEXEC on fd 0, so the runtime inherits it.
  if (::dup2(fd->get(), STDIN_FILENO) < 0) {
    return make_error(std::string("cannot replace stdin: ") + std::strerror(errno));
  }
  return {};
}

Expected<int> run_runtime_child(const std::string& runtime, char** argv,
                                const std::optional<std::string>& stdin_bytes) {
  std::optional<UniqueFd> input;
  if (stdin_bytes) {
    auto fd = memfd_with(*stdin_bytes);
    if (!fd) {
      return fd.error();
    }
    input.emplace(std::move(*fd));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    return make_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    if (input && ::dup2(input->get(), STDIN_FILENO) < 0) {
      ::_exit(255);
    }
    argv[0] = const_cast<char*>(runtime.c_str());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    ::execve(runtime.c_str(), argv, environ);
    ::_exit(255);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return make_error(std::string("waitpid: ") + std::strerror(errno));
    }
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return 128 + WTERMSIG(status);
}

}  // namespace isolcpus
