// Runs the real runtime as a child (only `update` needs to act after runc),
// with the given bytes as its stdin, and returns its exit status the way a
// shell would report it (128+N for death by signal N).
#pragma once

#include <optional>
#include <string>

#include "isolcpus/expected.hpp"

namespace isolcpus {

Expected<int> run_runtime_child(const std::string& runtime, char** argv,
                                const std::optional<std::string>& stdin_bytes);

// Puts `bytes` on fd 0 through a memfd, so an exec'd runtime reads exactly
// what our caller sent after we consumed the original stdin.
Expected<void> replace_stdin(const std::string& bytes);

// Reads fd 0 to EOF.
Expected<std::string> read_all_stdin();

}  // namespace isolcpus
