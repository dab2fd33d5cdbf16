// A literal model of the kernel's parser, quirks included (a newline ends
// the list, "0-3:1/2N" is two regions), because the wrapper must see the
// same CPUs the kernel will give the container, not the ones a tidier
// grammar would.
#include "isolcpus/kernel_cpu_list.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

namespace isolcpus {
namespace {

// lib/ctype.c: 0xA0 (Latin-1 no-break space) is whitespace too.
bool kernel_space(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == ' ' || (u >= '\t' && u <= '\r') || u == 0xA0;
}
bool end_of_str(char c) { return c == '\0' || c == '\n'; }
bool separator(char c) { return kernel_space(c) || c == ','; }
bool end_of_region(char c) { return separator(c) || end_of_str(c); }

struct Region {
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  std::uint32_t used = 0;   // bits set at the start of each group
  std::uint32_t group = 0;  // group length
};

// Reads past the end of `s` as NUL, like the kernel's C string.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  [[nodiscard]] char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip(std::size_t n = 1) { pos_ += n; }
  [[nodiscard]] bool starts_with_all() const {
    if (s_.size() - std::min(pos_, s_.size()) < 3) {
      return false;
    }
    const auto low = [](char c) { return static_cast<char>(c | 0x20); };
    return low(s_[pos_]) == 'a' && low(s_[pos_ + 1]) == 'l' && low(s_[pos_ + 2]) == 'l';
  }

  // bitmap_getnum: "N" or decimal digits that fit 32 bits.
  Expected<std::uint32_t> number(std::uint32_t last) {
    if (peek() == 'N') {
      skip();
      return last;
    }
    std::uint64_t n = 0;
    std::size_t digits = 0;
    bool overflow = false;
    while (peek() >= '0' && peek() <= '9') {
      n = n * 10 + static_cast<std::uint64_t>(peek() - '0');
      overflow = overflow || n > std::numeric_limits<std::uint32_t>::max();
      skip();
      ++digits;
    }
    if (digits == 0) {
      return make_error("a number was expected at \"" + rest() + "\"");
    }
    if (overflow) {
      return make_error("a number does not fit 32 bits");
    }
    return static_cast<std::uint32_t>(n);
  }

  [[nodiscard]] std::string rest() const { return std::string(s_.substr(std::min(pos_, s_.size()))); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

// bitmap_parse_region.  Returns false when this region ends the list.
Expected<bool> parse_region(Cursor& c, Region& r, std::uint32_t last) {
  bool pattern = true;
  if (c.starts_with_all()) {
    r.start = 0;
    r.end = last;
    c.skip(3);
  } else {
    auto start = c.number(last);
    if (!start) {
      return start.error();
    }
    r.start = r.end = *start;
    if (end_of_region(c.peek())) {
      pattern = false;
    } else {
      if (c.peek() != '-') {
        return make_error("unexpected \"" + c.rest() + "\"");
      }
      c.skip();
      auto end = c.number(last);
      if (!end) {
        return end.error();
      }
      r.end = *end;
    }
  }
  if (!pattern || end_of_region(c.peek())) {
    r.used = r.group = r.end + 1;
    return !end_of_str(c.peek());
  }
  if (c.peek() != ':') {
    return make_error("unexpected \"" + c.rest() + "\"");
  }
  c.skip();
  auto used = c.number(last);
  if (!used) {
    return used.error();
  }
  if (c.peek() != '/') {
    return make_error("\"/\" was expected at \"" + c.rest() + "\"");
  }
  c.skip();
  auto group = c.number(last);
  if (!group) {
    return group.error();
  }
  r.used = *used;
  r.group = *group;
  return true;  // the kernel looks at what follows only as the next region
}

// bitmap_set_region, with the kernel's 32-bit arithmetic (a huge group
// wraps `start` around).
void set_region(const Region& r, CpuSet& set) {
  for (std::uint32_t start = r.start; start <= r.end; start += r.group) {
    const std::uint32_t n = std::min(r.end - start + 1, r.used);
    for (std::uint32_t i = 0; i < n; ++i) {
      set.insert(start + i);
    }
  }
}

}  // namespace

Expected<CpuSet> parse_kernel_cpu_list(std::string_view text, unsigned nbits) {
  text = text.substr(0, text.find('\0'));
  while (!text.empty() && kernel_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && kernel_space(text.back())) {
    text.remove_suffix(1);
  }
  CpuSet set;
  if (text.empty()) {
    return set;
  }
  if (nbits == 0 || nbits > CpuSet::kMaxCpus) {
    nbits = CpuSet::kMaxCpus;
  }
  const auto fail = [&text](const std::string& why) {
    return make_error("the kernel rejects the CPU list \"" + std::string(text) + "\": " + why);
  };
  Cursor c(text);
  for (bool more = true; more;) {
    while (separator(c.peek())) {
      c.skip();
    }
    if (end_of_str(c.peek())) {
      break;
    }
    Region r;
    auto parsed = parse_region(c, r, nbits - 1);
    if (!parsed) {
      return fail(parsed.error().message);
    }
    more = *parsed;
    if (r.start > r.end || r.group == 0 || r.used > r.group) {
      return fail("a region runs backwards or has an impossible USED/GROUP");
    }
    if (r.end >= nbits) {
      return fail("CPU " + std::to_string(r.end) + " is beyond the last possible CPU " +
                  std::to_string(nbits - 1));
    }
    set_region(r, set);
  }
  return set;
}

}  // namespace isolcpus
