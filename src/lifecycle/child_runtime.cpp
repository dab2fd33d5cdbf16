#include "child_runtime.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "isolcpus/read_to_end.hpp"
#include "isolcpus/unique_fd.hpp"
#include "runc_state.hpp"

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

Expected<std::string> read_all_stdin(std::size_t cap) {
  auto read = read_to_end(STDIN_FILENO, cap);
  if (read.end == ReadToEnd::End::failed) {
    return make_error(std::string("cannot read stdin: ") + std::strerror(read.err));
  }
  if (read.end == ReadToEnd::End::too_large) {
    return make_error("the update resources on stdin exceed " + std::to_string(cap) +
                      " bytes, more than any runc resources document; refusing the update");
  }
  return std::move(read.bytes);
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

namespace {

// The child waits on a pipe for one byte before it execs: its PID is in the
// ledger before it can touch the container.  If we die first it reads EOF
// and exits without running anything.
class GatedChild final : public RuntimeChild {
 public:
  GatedChild(pid_t pid, ProcessRef process, UniqueFd gate)
      : pid_(pid), process_(process), gate_(std::move(gate)) {}
  ~GatedChild() override {
    gate_ = UniqueFd();  // EOF: a child never let go exits
    if (!reaped_) {
      (void)wait();
    }
  }
  GatedChild(const GatedChild&) = delete;
  GatedChild& operator=(const GatedChild&) = delete;
  GatedChild(GatedChild&&) = delete;
  GatedChild& operator=(GatedChild&&) = delete;

  [[nodiscard]] ProcessRef process() const override { return process_; }

  Expected<void> go() override {
    const char go = 'g';
    if (::write(gate_.get(), &go, 1) != 1) {
      return make_error(std::string("cannot start the runtime child: ") + std::strerror(errno));
    }
    gate_ = UniqueFd();
    return {};
  }

  Expected<int> wait() override {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) {
        return make_error(std::string("waitpid: ") + std::strerror(errno));
      }
    }
    reaped_ = true;
    if (WIFEXITED(status)) {
      return WEXITSTATUS(status);
    }
    return -WTERMSIG(status);
  }

 private:
  pid_t pid_;
  ProcessRef process_;
  UniqueFd gate_;
  bool reaped_ = false;
};

[[noreturn]] void child_main(int gate, int input, const std::string& runtime, char** argv) {
  char go = 0;
  ssize_t n = 0;
  while ((n = ::read(gate, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1 || go != 'g') {
    ::_exit(125);
  }
  if (input >= 0 && ::dup2(input, STDIN_FILENO) < 0) {
    ::_exit(255);
  }
  argv[0] = const_cast<char*>(runtime.c_str());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  ::execve(runtime.c_str(), argv, environ);
  ::_exit(255);
}

}  // namespace

Expected<std::unique_ptr<RuntimeChild>> launch_runtime_child(const std::string& runtime, char** argv,
                                                             const std::optional<std::string>& stdin_bytes,
                                                             const std::filesystem::path& proc) {
  std::optional<UniqueFd> input;
  if (stdin_bytes) {
    auto fd = memfd_with(*stdin_bytes);
    if (!fd) {
      return fd.error();
    }
    input.emplace(std::move(*fd));
  }
  int gate[2];
  if (::pipe2(gate, O_CLOEXEC) != 0) {
    return make_error(std::string("pipe: ") + std::strerror(errno));
  }
  UniqueFd gate_read(gate[0]);
  UniqueFd gate_write(gate[1]);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return make_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    gate_write = UniqueFd();
    child_main(gate_read.get(), input ? input->get() : -1, runtime, argv);
  }
  const ProcessRef process{static_cast<int>(pid),
                           process_start_ticks(proc, static_cast<int>(pid)).value_or(0)};
  return std::unique_ptr<RuntimeChild>(std::make_unique<GatedChild>(pid, process, std::move(gate_write)));
}

}  // namespace isolcpus
