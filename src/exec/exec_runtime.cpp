#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "isolcpus/runtime_exec.hpp"

extern char** environ;  // NOLINT: POSIX interface

namespace isolcpus {

Error exec_runtime(const std::string& runtime, int argc, char** argv) {
  // argv[1..] go to the runtime exactly as we received them: the array is
  // ours to edit, and only argv[0] changes (crun picks its personality from
  // basename(argv[0]); runc reports errors under it).
  if (argc > 0) {
    argv[0] = const_cast<char*>(runtime.c_str());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  ::execve(runtime.c_str(), argv, environ);
  return make_error("cannot execute " + runtime + ": " + std::strerror(errno));
}

}  // namespace isolcpus
