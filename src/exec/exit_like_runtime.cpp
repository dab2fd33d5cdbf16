#include "isolcpus/exit_like_runtime.hpp"

#include <sys/prctl.h>

#include <csignal>
#include <cstdio>

namespace isolcpus {

int exit_like_runtime(int status) {
  if (status >= 0) {
    return status;
  }
  const int sig = -status;
  (void)std::fflush(nullptr);
  // runc may have dumped core; a second core, of a wrapper that did not
  // crash, would only mislead whoever reads it.
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  (void)::sigaction(sig, &dfl, nullptr);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  (void)::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  (void)::raise(sig);
  // Still here: not a signal that terminates (none kills a child but
  // those); the shell's spelling is the closest.
  return 128 + sig;
}

}  // namespace isolcpus
