#include "isolcpus/exec_runtime.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;  // NOLINT: POSIX interface

namespace isolcpus {

Error exec_runtime(const std::string& runtime, int argc, char** argv) {
  // argv[1..] go to the runtime exactly as we received them: the array is
  // ours to edit, and only argv[0] changes (crun picks its personality from
  // basename(argv[0]); runc reports errors under it).
  char* bare[] = {const_cast<char*>(runtime.c_str()),
                  nullptr};  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  if (argc > 0) {
    argv[0] = bare[0];
  } else {
    argv = bare;  // execve(2) with an empty argv: give the runtime its name at least
  }
  ::execve(runtime.c_str(), argv, environ);
  return make_error("cannot execute " + runtime + ": " + std::strerror(errno));
}

}  // namespace isolcpus
