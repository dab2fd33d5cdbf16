// Runs the real runtime as a child (only `update` needs to act after runc),
// with the given bytes as its stdin; its exit status is reported as is, and
// a death by signal N as -N, which main turns into the same death of ours
// (exit_like_runtime), as the caller would have seen of runc.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "isolcpus/expected.hpp"
#include "isolcpus/seams.hpp"

namespace isolcpus {

// Forks the runtime with `stdin_bytes` as its stdin, held before its exec
// until go() (see RuntimeChild).
Expected<std::unique_ptr<RuntimeChild>> launch_runtime_child(const std::string& runtime, char** argv,
                                                             const std::optional<std::string>& stdin_bytes,
                                                             const std::filesystem::path& proc);

// Puts `bytes` on fd 0 through a memfd, so an exec'd runtime reads exactly
// what our caller sent after we consumed the original stdin.
Expected<void> replace_stdin(const std::string& bytes);

// Reads fd 0 to EOF; an error past `cap` bytes.
Expected<std::string> read_all_stdin(std::size_t cap);

}  // namespace isolcpus
