// How Go's flag package (under urfave/cli v1, under runc) reads one token and
// one value.  Kept separate so the rules can be checked one by one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace isolcpus::cli {

enum class TokenClass : std::uint8_t {
  kPositional,  // "", "-", or no leading '-': flag parsing stops here
  kTerminator,  // "--": consumed, flag parsing stops after it
  kFlag,        // "-name", "--name", "-name=v", "--name=v"
  kBadSyntax,   // "---x", "-=x", "--=x": Go refuses the whole command line
};

struct GoToken {
  TokenClass cls = TokenClass::kPositional;
  std::string_view name;                  // without dashes and without "=value"
  std::optional<std::string_view> value;  // set when written as name=value (may be empty)
};

GoToken classify_go_token(std::string_view token);

// strconv.ParseBool.
std::optional<bool> parse_go_bool(std::string_view text);

// strconv.ParseInt(text, 0, 64): optional sign, then 0x/0o/0b prefixes or a
// leading 0 for octal.  Digit-separating underscores (which Go also accepts
// after a base prefix) are refused: nobody writes them, and refusing only
// makes us less certain, never wrong.
std::optional<std::int64_t> parse_go_int(std::string_view text);

}  // namespace isolcpus::cli
