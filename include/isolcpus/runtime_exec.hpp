// Finding and becoming the real runtime.  The wrapper's last act is always an
// execve in place: same PID, argv[1..] byte-identical, environment, fds,
// signal mask and dispositions untouched.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "isolcpus/expected.hpp"

namespace isolcpus {

// Searched in order when no `runtime` is configured.  A fixed list, not only
// $PATH: callers (podman's kill, for one) may run us with no PATH at all.
inline constexpr std::array<std::string_view, 6> kSafeRuntimeDirs = {
    "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};

// `configured`: the config's `runtime` (absolute) or empty.  `self_exe`: the
// path whose (st_dev, st_ino) identifies this binary (normally /proc/self/exe);
// a candidate that is this binary is skipped, so a wrapper installed as
// `runc` earlier in PATH does not exec itself forever.
Expected<std::string> locate_runtime(std::string_view configured,
                                     std::string_view self_exe = "/proc/self/exe");

// Replaces this process with `runtime`; argv[0] becomes `runtime`, argv[1..]
// stay as they are.  Returns only on failure, with errno's message.
Error exec_runtime(const std::string& runtime, int argc, char** argv);

// When the runtime ran as our child (`update`), its end becomes ours, so the
// caller sees what it would have seen of runc itself: `status` >= 0 is
// returned as the exit status; -N (death by signal N) makes this process
// die of signal N (default disposition, unblocked, no core dump of ours).
int exit_like_runtime(int status);

}  // namespace isolcpus
