// What every harness shares: the input as text, and property checks that
// stop the fuzzer the way a crash does, so libFuzzer saves the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

namespace isolcpus::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

// __builtin_trap, not abort(): no signal handler or atexit hook of the code
// under test can swallow it.
[[noreturn]] inline void violated(const char* property) {
  std::fprintf(stderr, "property violated: %s\n", property);  // NOLINT(cert-err33-c): about to trap
  std::fflush(stderr);                                        // NOLINT(cert-err33-c)
  __builtin_trap();
}

inline void check(bool holds, const char* property) {
  if (!holds) {
    violated(property);
  }
}

// `text` cut at every `sep`; n separators give n + 1 pieces.
inline std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto pos = text.find(sep);
    out.push_back(text.substr(0, pos));
    if (pos == std::string_view::npos) {
      return out;
    }
    text.remove_prefix(pos + 1);
  }
}

}  // namespace isolcpus::fuzz
