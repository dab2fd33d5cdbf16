#include "isolcpus/cpuset.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <utility>

namespace isolcpus {
namespace {

constexpr unsigned kWordBits = 64;

std::string_view trim_blanks(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\n\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\n\r");
  return s.substr(first, last - first + 1);
}

// Lists can be long (a hostile config.json may hold megabytes of one):
// messages quote the start and give the size.
constexpr std::size_t kShownBytes = 64;

std::string shown(std::string_view text) {
  if (text.size() <= kShownBytes) {
    return "\"" + std::string(text) + "\"";
  }
  return "\"" + std::string(text.substr(0, kShownBytes)) + "...\" (" + std::to_string(text.size()) +
         " bytes)";
}

Error list_error(std::string_view whole, const std::string& why) {
  return make_error("invalid CPU list " + shown(whole) + ": " + why);
}

Expected<unsigned> parse_cpu(std::string_view token, std::string_view whole) {
  token = trim_blanks(token);
  unsigned value = 0;
  const auto* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), end, value);
  if (token.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return list_error(whole, shown(token) + " is not a CPU number");
  }
  if (ec == std::errc::result_out_of_range || value >= CpuSet::kMaxCpus) {
    return list_error(whole, "CPU " + std::string(token) + " is beyond the kernel's limit of " +
                                 std::to_string(CpuSet::kMaxCpus) + " CPUs");
  }
  return value;
}

// One comma-separated item, "3" or "0-3", as its first and last CPU.
Expected<std::pair<unsigned, unsigned>> parse_item(std::string_view item, std::string_view whole) {
  item = trim_blanks(item);
  if (item.empty()) {
    return list_error(whole, "an empty item; separate CPUs and ranges with single commas");
  }
  const auto dash = item.find('-');
  if (dash == std::string_view::npos) {
    auto cpu = parse_cpu(item, whole);
    if (!cpu) {
      return cpu.error();
    }
    return std::pair{*cpu, *cpu};
  }
  if (dash == 0) {
    return list_error(whole, "range " + shown(item) + " has no first CPU (CPU numbers are never negative)");
  }
  if (trim_blanks(item.substr(dash + 1)).empty()) {
    return list_error(whole, "range " + shown(item) + " has no last CPU");
  }
  auto first = parse_cpu(item.substr(0, dash), whole);
  if (!first) {
    return first.error();
  }
  auto last = parse_cpu(item.substr(dash + 1), whole);
  if (!last) {
    return last.error();
  }
  if (*last < *first) {
    return list_error(whole, "range " + shown(item) + " runs backwards");
  }
  return std::pair{*first, *last};
}

}  // namespace

CpuSet CpuSet::of(std::initializer_list<unsigned> cpus) {
  CpuSet set;
  for (unsigned cpu : cpus) {
    set.insert(cpu);
  }
  return set;
}

CpuSet CpuSet::range(unsigned first, unsigned last) {
  CpuSet set;
  set.insert_range(first, last);
  return set;
}

// Whole words at a time: a list of 200,000 "0-8191" ranges must not cost
// 200,000 * 8192 single-bit inserts.
void CpuSet::insert_range(unsigned first, unsigned last) {
  last = std::min(last, kMaxCpus - 1);
  if (first > last) {
    return;
  }
  if (words_.size() <= last / kWordBits) {
    words_.resize(last / kWordBits + 1, 0);
  }
  for (unsigned word = first / kWordBits; word <= last / kWordBits; ++word) {
    const unsigned low = word == first / kWordBits ? first % kWordBits : 0;
    const unsigned high = word == last / kWordBits ? last % kWordBits : kWordBits - 1;
    const std::uint64_t up_to_high =
        high == kWordBits - 1 ? ~std::uint64_t{0} : (std::uint64_t{1} << (high + 1)) - 1;
    words_[word] |= up_to_high & ~((std::uint64_t{1} << low) - 1);
  }
}

Expected<CpuSet> CpuSet::parse(std::string_view text) {
  CpuSet set;
  const std::string_view body = trim_blanks(text);
  if (body.empty()) {
    return set;
  }
  std::size_t pos = 0;
  for (;;) {
    const auto comma = body.find(',', pos);
    auto item = parse_item(body.substr(pos, comma == std::string_view::npos ? comma : comma - pos), body);
    if (!item) {
      return item.error();
    }
    set.insert_range(item->first, item->second);
    if (comma == std::string_view::npos) {
      return set;
    }
    pos = comma + 1;
  }
}

std::string CpuSet::to_string() const {
  std::string out;
  const auto list = cpus();
  for (std::size_t i = 0; i < list.size();) {
    std::size_t j = i;
    while (j + 1 < list.size() && list[j + 1] == list[j] + 1) {
      ++j;
    }
    if (!out.empty()) {
      out += ',';
    }
    out += std::to_string(list[i]);
    if (j > i) {
      out += '-';
      out += std::to_string(list[j]);
    }
    i = j + 1;
  }
  return out;
}

bool CpuSet::empty() const { return words_.empty(); }

std::size_t CpuSet::count() const {
  std::size_t n = 0;
  for (auto w : words_) {
    n += static_cast<std::size_t>(std::popcount(w));
  }
  return n;
}

bool CpuSet::contains(unsigned cpu) const {
  const auto word = cpu / kWordBits;
  return word < words_.size() && ((words_[word] >> (cpu % kWordBits)) & 1U) != 0;
}

bool CpuSet::contains(const CpuSet& other) const { return (other - *this).empty(); }

bool CpuSet::intersects(const CpuSet& other) const {
  const auto n = std::min(words_.size(), other.words_.size());
  for (std::size_t i = 0; i < n; ++i) {
    if ((words_[i] & other.words_[i]) != 0) {
      return true;
    }
  }
  return false;
}

std::vector<unsigned> CpuSet::cpus() const {
  std::vector<unsigned> out;
  for (std::size_t i = 0; i < words_.size(); ++i) {
    auto w = words_[i];
    while (w != 0) {
      const auto bit = static_cast<unsigned>(std::countr_zero(w));
      out.push_back(static_cast<unsigned>(i) * kWordBits + bit);
      w &= w - 1;
    }
  }
  return out;
}

void CpuSet::insert(unsigned cpu) {
  if (cpu >= kMaxCpus) {
    return;
  }
  const auto word = cpu / kWordBits;
  if (word >= words_.size()) {
    words_.resize(word + 1, 0);
  }
  words_[word] |= std::uint64_t{1} << (cpu % kWordBits);
}

void CpuSet::erase(unsigned cpu) {
  const auto word = cpu / kWordBits;
  if (word < words_.size()) {
    words_[word] &= ~(std::uint64_t{1} << (cpu % kWordBits));
    trim();
  }
}

CpuSet CpuSet::operator|(const CpuSet& other) const {
  CpuSet out = *this;
  out |= other;
  return out;
}

CpuSet CpuSet::operator&(const CpuSet& other) const {
  CpuSet out;
  out.words_.resize(std::min(words_.size(), other.words_.size()));
  for (std::size_t i = 0; i < out.words_.size(); ++i) {
    out.words_[i] = words_[i] & other.words_[i];
  }
  out.trim();
  return out;
}

CpuSet CpuSet::operator-(const CpuSet& other) const {
  CpuSet out = *this;
  out -= other;
  return out;
}

CpuSet& CpuSet::operator|=(const CpuSet& other) {
  if (other.words_.size() > words_.size()) {
    words_.resize(other.words_.size(), 0);
  }
  for (std::size_t i = 0; i < other.words_.size(); ++i) {
    words_[i] |= other.words_[i];
  }
  return *this;
}

CpuSet& CpuSet::operator-=(const CpuSet& other) {
  const auto n = std::min(words_.size(), other.words_.size());
  for (std::size_t i = 0; i < n; ++i) {
    words_[i] &= ~other.words_[i];
  }
  trim();
  return *this;
}

bool operator==(const CpuSet& a, const CpuSet& b) { return a.words_ == b.words_; }

void CpuSet::trim() {
  while (!words_.empty() && words_.back() == 0) {
    words_.pop_back();
  }
}

}  // namespace isolcpus
