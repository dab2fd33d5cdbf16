// Finding the real runtime the wrapper becomes.
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

}  // namespace isolcpus
