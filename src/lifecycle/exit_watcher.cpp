#include "exit_watcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>

#include "isolcpus/dispatch.hpp"
#include "isolcpus/log.hpp"

namespace isolcpus {
namespace {

int pidfd_of(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

[[noreturn]] void watch(int pidfd, const Config& config) {
  // Hold nothing of the caller's: an inherited pipe kept open would keep
  // the caller from seeing EOF on the container's output.
  if (pidfd > 3) {
    ::close_range(3, static_cast<unsigned>(pidfd) - 1, 0);
  }
  ::close_range(static_cast<unsigned>(pidfd) + 1, UINT_MAX, 0);
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
  }
  pollfd p{pidfd, POLLIN, 0};
  while (::poll(&p, 1, -1) < 0) {
  }
  Log log(config, "run exit watcher");
  (void)reconcile_node(config, log);
  ::_exit(0);
}

}  // namespace

void watch_runtime_exit(const Config& config, const Seams& seams) {
  if (seams.spawn_exit_watcher) {
    seams.spawn_exit_watcher();
    return;
  }
  (void)spawn_exit_watcher(config);
}

bool spawn_exit_watcher(const Config& config) {
  const int pidfd = pidfd_of(::getpid());
  if (pidfd < 0) {
    return false;
  }
  ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);  // runc must not inherit it
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pidfd);
    return false;
  }
  if (child == 0) {
    ::setsid();
    // Double fork: the watcher is nobody's child we must reap.
    if (::fork() == 0) {
      watch(pidfd, config);
    }
    ::_exit(0);
  }
  ::close(pidfd);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return true;
}

}  // namespace isolcpus
