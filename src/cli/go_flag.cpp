#include "go_flag.hpp"

#include <limits>

namespace isolcpus::cli {

GoToken classify_go_token(std::string_view token) {
  if (token.size() < 2 || token[0] != '-') return {};
  std::size_t dashes = 1;
  if (token[1] == '-') {
    if (token.size() == 2) return {TokenClass::kTerminator, {}, {}};
    dashes = 2;
  }
  std::string_view name = token.substr(dashes);
  if (name.empty() || name[0] == '-' || name[0] == '=') return {TokenClass::kBadSyntax, name, {}};
  // Go looks for '=' from the second character on: the first cannot be one.
  const std::size_t eq = name.find('=', 1);
  if (eq == std::string_view::npos) return {TokenClass::kFlag, name, {}};
  return {TokenClass::kFlag, name.substr(0, eq), name.substr(eq + 1)};
}

std::optional<bool> parse_go_bool(std::string_view text) {
  if (text == "1" || text == "t" || text == "T" || text == "true" || text == "TRUE" || text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "false" || text == "FALSE" || text == "False") {
    return false;
  }
  return std::nullopt;
}

namespace {

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

}  // namespace

std::optional<std::int64_t> parse_go_int(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  unsigned base = 10;
  if (text.size() >= 2 && text[0] == '0') {
    const char p = text[1];
    if (p == 'x' || p == 'X') {
      base = 16;
      text.remove_prefix(2);
    } else if (p == 'o' || p == 'O') {
      base = 8;
      text.remove_prefix(2);
    } else if (p == 'b' || p == 'B') {
      base = 2;
      text.remove_prefix(2);
    } else {
      base = 8;
      text.remove_prefix(1);
    }
  }
  if (text.empty()) return std::nullopt;
  // Accumulate in the magnitude of the most negative int64.
  constexpr std::uint64_t kLimitPositive = std::numeric_limits<std::int64_t>::max();
  const std::uint64_t limit = negative ? kLimitPositive + 1 : kLimitPositive;
  std::uint64_t magnitude = 0;
  for (const char c : text) {
    const int d = digit_value(c);
    if (d >= static_cast<int>(base)) return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(d);
    if (magnitude > (limit - digit) / base) return std::nullopt;
    magnitude = magnitude * base + digit;
  }
  if (!negative) return static_cast<std::int64_t>(magnitude);
  if (magnitude == kLimitPositive + 1) return std::numeric_limits<std::int64_t>::min();
  return -static_cast<std::int64_t>(magnitude);
}

}  // namespace isolcpus::cli
