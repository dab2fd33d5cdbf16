// exit_like_runtime: a runtime child's end becomes ours.  A status is
// returned; a death by signal N kills this process with N even where the
// signal was ignored or blocked.  Signal cases run in a forked child.
#include "isolcpus/exit_like_runtime.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>

namespace isolcpus {
namespace {

// Runs `body` in a child that _exits with what it returns; the wait status.
int in_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::_exit(body());
  }
  EXPECT_GT(pid, 0);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return status;
}

TEST(ExitLikeRuntime, StatusIsReturned) {
  EXPECT_EQ(exit_like_runtime(0), 0);
  EXPECT_EQ(exit_like_runtime(1), 1);
  EXPECT_EQ(exit_like_runtime(7), 7);
  EXPECT_EQ(exit_like_runtime(255), 255);
}

TEST(ExitLikeRuntime, DeathBySignalKillsThisProcessWithThatSignal) {
  for (const int sig : {SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGPIPE}) {
    const int status = in_child([sig] { return exit_like_runtime(-sig); });
    ASSERT_TRUE(WIFSIGNALED(status)) << "signal " << sig << ": exited " << WEXITSTATUS(status);
    EXPECT_EQ(WTERMSIG(status), sig);
  }
}

// runc's caller may have left the signal ignored (nohup) or blocked.
TEST(ExitLikeRuntime, IgnoredAndBlockedSignalStillKills) {
  const int status = in_child([] {
    (void)std::signal(SIGTERM, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    (void)::sigprocmask(SIG_BLOCK, &set, nullptr);
    return exit_like_runtime(-SIGTERM);
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exited " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

// SIGCHLD's default is to ignore: no death to copy, the shell's 128+N.
TEST(ExitLikeRuntime, SignalThatDoesNotTerminateBecomesTheShellsStatus) {
  const int status = in_child([] { return exit_like_runtime(-SIGCHLD); });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGCHLD);
}

}  // namespace
}  // namespace isolcpus
