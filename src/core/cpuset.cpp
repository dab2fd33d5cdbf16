#include "isolcpus/cpuset.hpp"

#include <algorithm>
#include <bit>
#include <charconv>

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

Expected<unsigned> parse_cpu(std::string_view token, std::string_view whole) {
  token = trim_blanks(token);
  unsigned value = 0;
  const auto* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), end, value);
  if (token.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return make_error("invalid CPU list \"" + std::string(whole) + "\": \"" + std::string(token) +
                      "\" is not a CPU number");
  }
  if (ec == std::errc::result_out_of_range || value >= CpuSet::kMaxCpus) {
    return make_error("invalid CPU list \"" + std::string(whole) + "\": CPU " + std::string(token) +
                      " is beyond the kernel's limit of " + std::to_string(CpuSet::kMaxCpus) + " CPUs");
  }
  return value;
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
  for (unsigned cpu = first; cpu <= last && cpu < kMaxCpus; ++cpu) {
    set.insert(cpu);
  }
  return set;
}

Expected<CpuSet> CpuSet::parse(std::string_view text) {
  CpuSet set;
  const std::string_view body = trim_blanks(text);
  if (body.empty()) {
    return set;
  }
  std::size_t pos = 0;
  while (pos <= body.size()) {
    const auto comma = body.find(',', pos);
    const std::string_view item =
        body.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    const auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      auto cpu = parse_cpu(item, body);
      if (!cpu) {
        return cpu.error();
      }
      set.insert(*cpu);
    } else {
      auto first = parse_cpu(item.substr(0, dash), body);
      if (!first) {
        return first.error();
      }
      auto last = parse_cpu(item.substr(dash + 1), body);
      if (!last) {
        return last.error();
      }
      if (*last < *first) {
        return make_error("invalid CPU list \"" + std::string(body) + "\": range \"" +
                          std::string(trim_blanks(item)) + "\" runs backwards");
      }
      set |= range(*first, *last);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    pos = comma + 1;
  }
  return set;
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
