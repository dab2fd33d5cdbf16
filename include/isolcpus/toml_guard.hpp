// A guard in front of toml++ 3.3.0, which both TOML readers (our config,
// and `configure`'s view of the runtimes' configs) pass every text through.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace isolcpus {

// toml++ 3.3.0 (Debian 12) reaches __builtin_unreachable(), undefined
// behaviour, whenever it asks whether a character in U+00A1-U+0499,
// U+2C5E-U+3057 or U+FB26-U+FEFE is whitespace (a bug in its generated
// tables; found by tests/fuzz/config_fuzz), which it does outside strings,
// after a line-ending backslash inside them, and while skipping over a
// malformed value.  Only lines that are comments are safe for them; this
// finds the first such character anywhere else.
struct TomlTrap {
  std::size_t line = 0;
  std::size_t column = 0;  // in characters, as toml++ counts
  char32_t code_point = 0;
};

std::optional<TomlTrap> toml_plus_plus_trap(std::string_view text);

// "U+00E9 cannot be read here (a bug in toml++ 3.3.0); ..." for `trap`.
std::string toml_trap_advice(const TomlTrap& trap);

}  // namespace isolcpus
