#include "go_json_repair.hpp"

#include <optional>

#include "isolcpus/utf8.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The UTF-16 unit of a "\uXXXX" escape starting at s[i], if it is one.
std::optional<unsigned> escape_unit(std::string_view s, std::size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') {
    return std::nullopt;
  }
  unsigned unit = 0;
  for (std::size_t k = i + 2; k < i + 6; ++k) {
    const char h = s[k];
    const int digit = h >= '0' && h <= '9'   ? h - '0'
                      : h >= 'a' && h <= 'f' ? h - 'a' + 10
                      : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                             : -1;
    if (digit < 0) {
      return std::nullopt;
    }
    unit = unit * 16 + static_cast<unsigned>(digit);
  }
  return unit;
}

bool high_surrogate(unsigned u) { return u >= 0xD800 && u <= 0xDBFF; }
bool low_surrogate(unsigned u) { return u >= 0xDC00 && u <= 0xDFFF; }

// Copies the escape at s[i] to `out`; returns its length.
std::size_t copy_escape(std::string_view s, std::size_t i, std::string& out) {
  if (const auto unit = escape_unit(s, i); unit && (high_surrogate(*unit) || low_surrogate(*unit))) {
    const auto next = escape_unit(s, i + 6);
    if (high_surrogate(*unit) && next && low_surrogate(*next)) {
      out.append(s.substr(i, 12));  // a proper pair
      return 12;
    }
    out += "\\ufffd";
    return 6;
  }
  // Any other escape whole, so that \" does not end the string here.
  const std::size_t n = std::min<std::size_t>(2, s.size() - i);
  out.append(s.substr(i, n));
  return n;
}

}  // namespace

std::string go_json_repair(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!in_string || c < 0x80) {
      if (in_string && c == '\\') {
        i += copy_escape(text, i, out);
        continue;
      }
      in_string = c == '"' ? !in_string : in_string;
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace isolcpus
