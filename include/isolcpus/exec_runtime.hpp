// Becoming the real runtime.  The wrapper's last act is always an execve in
// place: same PID, argv[1..] byte-identical, environment, fds, signal mask
// and dispositions untouched.
#pragma once

#include <string>

#include "isolcpus/expected.hpp"

namespace isolcpus {

// Replaces this process with `runtime`; argv[0] becomes `runtime`, argv[1..]
// stay as they are.  Returns only on failure, with errno's message.
Error exec_runtime(const std::string& runtime, int argc, char** argv);

}  // namespace isolcpus
