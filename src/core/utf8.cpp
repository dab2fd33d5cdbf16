#include "isolcpus/utf8.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool byte_in(std::string_view s, std::size_t i, unsigned char lo, unsigned char hi) {
  if (i >= s.size()) {
    return false;
  }
  const auto c = static_cast<unsigned char>(s[i]);
  return c >= lo && c <= hi;
}

bool continuations(std::string_view s, std::size_t from, std::size_t to) {
  for (std::size_t k = from; k < to; ++k) {
    if (!byte_in(s, k, 0x80, 0xBF)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  if (i >= s.size()) {
    return 0;
  }
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    return continuations(s, i + 1, i + 2) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    // E0: no overlong forms; ED: no surrogates.
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    return byte_in(s, i + 1, lo, hi) && continuations(s, i + 2, i + 3) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    // F0: no overlong forms; F4: nothing above U+10FFFF.
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    return byte_in(s, i + 1, lo, hi) && continuations(s, i + 2, i + 4) ? 4 : 0;
  }
  return 0;
}

bool is_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      return false;
    }
    i += n;
  }
  return true;
}

std::string utf8_for_display(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace isolcpus
