#include "change_runs.hpp"

#include <charconv>
#include <optional>

namespace isolcpus {
namespace {

struct Split {
  std::string prefix;
  unsigned number = 0;
  std::string suffix;
};

// The last path component made of decimal digits only, without a leading
// zero (so that printing it back gives the same bytes).
std::optional<Split> split(const std::string& file) {
  std::size_t end = file.size();
  while (end > 0) {
    const std::size_t slash = file.rfind('/', end - 1);
    if (slash == std::string::npos) {
      return std::nullopt;
    }
    const std::string_view part(file.data() + slash + 1, end - slash - 1);
    unsigned n = 0;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (!part.empty() && ec == std::errc() && ptr == part.data() + part.size() &&
        (part.size() == 1 || part.front() != '0') && n < kMaxRunNumber) {
      return Split{file.substr(0, slash + 1), n, file.substr(end)};
    }
    end = slash;
  }
  return std::nullopt;
}

bool same_but_file(const TuningChange& a, const TuningChange& b) {
  return a.knob == b.knob && a.original == b.original && a.written == b.written && a.cpus == b.cpus;
}

}  // namespace

std::vector<ChangeRun> group_runs(const std::vector<TuningChange>& changes) {
  std::vector<ChangeRun> runs;
  for (const auto& c : changes) {
    const auto s = split(c.file);
    if (!runs.empty() && s) {
      ChangeRun& last = runs.back();
      const auto ls = last.numbers.empty() ? split(last.first.file) : std::nullopt;
      const std::string& prefix = last.numbers.empty() ? (ls ? ls->prefix : "") : last.prefix;
      const std::string& suffix = last.numbers.empty() ? (ls ? ls->suffix : "") : last.suffix;
      const unsigned previous = last.numbers.empty() ? (ls ? ls->number : 0) : last.numbers.back();
      if ((ls || !last.numbers.empty()) && same_but_file(last.first, c) && s->prefix == prefix &&
          s->suffix == suffix && s->number > previous) {
        if (last.numbers.empty()) {
          last.prefix = ls->prefix;
          last.suffix = ls->suffix;
          last.numbers.push_back(ls->number);
        }
        last.numbers.push_back(s->number);
        continue;
      }
    }
    runs.push_back(ChangeRun{c, "", "", {}});
  }
  return runs;
}

std::string format_ranges(const std::vector<unsigned>& numbers) {
  std::string out;
  for (std::size_t i = 0; i < numbers.size();) {
    std::size_t j = i;
    while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) {
      ++j;
    }
    out += (out.empty() ? "" : ",") + std::to_string(numbers[i]);
    if (j > i) {
      out += "-" + std::to_string(numbers[j]);
    }
    i = j + 1;
  }
  return out;
}

ParsedRanges parse_ranges(std::string_view text) {
  ParsedRanges r;
  const auto number = [&](std::string_view part, unsigned& out) {
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return !part.empty() && ec == std::errc() && ptr == part.data() + part.size() && out < kMaxRunNumber;
  };
  std::size_t at = 0;
  while (at <= text.size() && r.error.empty()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string_view item = text.substr(at, comma - at);
    const std::size_t dash = item.find('-');
    unsigned lo = 0;
    unsigned hi = 0;
    if (!number(item.substr(0, dash), lo) ||
        (dash != std::string_view::npos ? !number(item.substr(dash + 1), hi) : (hi = lo, false))) {
      r.error = "\"" + std::string(item) + "\" is not a number or a range of numbers below " +
                std::to_string(kMaxRunNumber);
    } else if (hi < lo || (!r.numbers.empty() && lo <= r.numbers.back())) {
      r.error = "\"" + std::string(item) + "\" is not above what comes before it";
    } else if (r.numbers.size() + (hi - lo) >= kMaxRunCount) {
      r.error = "more than " + std::to_string(kMaxRunCount) + " numbers";
    } else {
      for (unsigned n = lo;; ++n) {
        r.numbers.push_back(n);
        if (n == hi) {
          break;
        }
      }
    }
    at = comma + 1;
  }
  if (!r.error.empty()) {
    r.numbers.clear();
  }
  return r;
}

}  // namespace isolcpus
