#include "isolcpus/irqbalance_config.hpp"

#include <algorithm>

#include "isolcpus/cpu_mask.hpp"
#include "isolcpus/text.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kBegin =
    "# BEGIN runc-isolcpus: CPUs of pods with irq-load-balancing.crio.io, kept by runc-isolcpus; "
    "removed when the last such pod goes";
constexpr std::string_view kEnd = "# END runc-isolcpus";

struct Span {
  std::size_t begin;
  std::size_t end;  // one past the END line's newline
};

std::optional<Span> find_block(std::string_view text) {
  const auto line_at = [&](std::size_t at, std::string_view line) {
    return text.substr(at).starts_with(line) &&
           (at + line.size() == text.size() || text[at + line.size()] == '\n') &&
           (at == 0 || text[at - 1] == '\n');
  };
  for (std::size_t at = text.find(kBegin); at != std::string_view::npos; at = text.find(kBegin, at + 1)) {
    if (!line_at(at, kBegin)) {
      continue;
    }
    for (std::size_t end = text.find(kEnd, at); end != std::string_view::npos;
         end = text.find(kEnd, end + 1)) {
      if (line_at(end, kEnd)) {
        const std::size_t past = std::min(text.size(), end + kEnd.size() + 1);
        return Span{at, past};
      }
    }
  }
  return std::nullopt;
}

std::string without_block(std::string_view text) {
  const auto span = find_block(text);
  if (!span) {
    return std::string(text);
  }
  return std::string(text.substr(0, span->begin)) + std::string(text.substr(span->end));
}

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

}  // namespace

std::optional<std::string> env_file_value(std::string_view text, std::string_view name) {
  std::optional<std::string> value;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t eol = std::min(text.find('\n', at), text.size());
    const std::string_view line = trim(text.substr(at, eol - at));
    at = eol + 1;
    if (line.starts_with('#') || line.starts_with(';')) {
      continue;
    }
    const std::size_t eq = line.find('=');
    if (eq != std::string_view::npos && trim(line.substr(0, eq)) == name) {
      value = std::string(unquote(trim(line.substr(eq + 1))));
    }
  }
  return value;
}

bool has_ban_block(std::string_view text) { return find_block(text).has_value(); }

std::string ban_block_problem(std::string_view text) {
  std::size_t begins = 0;
  std::size_t ends = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t eol = std::min(text.find('\n', at), text.size());
    const std::string_view line = text.substr(at, eol - at);
    begins += line == kBegin ? 1 : 0;
    ends += line == kEnd ? 1 : 0;
    if (ends > begins) {
      return "an END line of runc-isolcpus without its BEGIN";
    }
    at = eol + 1;
  }
  if (begins > 1) {
    return "more than one runc-isolcpus block";
  }
  return begins != ends ? "a BEGIN line of runc-isolcpus without its END" : "";
}

std::string with_ban_block(std::string_view text, const CpuSet& cpus, std::string_view mask) {
  std::string out = without_block(text);
  if (cpus.empty()) {
    return out;
  }
  if (!out.empty() && out.back() != '\n') {
    out += '\n';  // not removed with the block: harmless, and keeps the last line a line
  }
  out += std::string(kBegin) + "\n" + std::string(kIrqBalanceListVar) + "=" + cpus.to_string() + "\n";
  if (!mask.empty()) {
    out += std::string(kIrqBalanceMaskVar) + "=" + std::string(mask) + "\n";
  }
  out += std::string(kEnd) + "\n";
  return out;
}

CpuSet own_ban_list(std::string_view text, const CpuSet& isolated, const CpuSet& nohz_full, bool mask_only) {
  const std::string theirs = without_block(text);
  if (auto operator_list = env_file_value(theirs, mask_only ? kIrqBalanceMaskVar : kIrqBalanceListVar)) {
    if (auto cpus = mask_only ? parse_cpu_mask(*operator_list) : CpuSet::parse(*operator_list)) {
      return *cpus;
    }
  }
  return isolated | nohz_full;
}

std::chrono::microseconds restart_spacing(std::uint64_t interval_usec, unsigned burst) {
  using std::chrono::microseconds;
  const microseconds floor = std::chrono::minutes(1);
  interval_usec = std::min(interval_usec, kLongestStartLimitUsec);  // the caller refuses longer ones
  if (interval_usec == 0 || burst == 0) {
    return floor;  // no start limit (or none read): a minute still coalesces a burst of pods
  }
  const microseconds share(interval_usec / std::max(1U, burst - 1));
  return std::max(floor, share + microseconds(1));
}

RestartDecision decide_irqbalance_restart(const IrqBalanceUnit& unit,
                                          const std::optional<std::string>& file_list,
                                          std::int64_t now_usec) {
  if (!unit.active) {
    return {false, 0, "irqbalance is not running: it reads the file when it starts"};
  }
  if (unit.start_limit_interval_usec > kLongestStartLimitUsec) {
    // infinity (UINT64_MAX) among them: systemd never forgets a start, so
    // every restart of ours brings its limit closer for good.
    return {false, 0,
            "irqbalance.service counts starts over more than a day (StartLimitIntervalSec): not restarted; "
            "restart it yourself to give it the ban list in its file"};
  }
  const auto normal = [](const std::optional<std::string>& list) {
    auto cpus = list ? CpuSet::parse(*list) : Expected<CpuSet>(CpuSet{});
    return cpus ? cpus->to_string() : "?" + *list;  // unparsable: compared as written
  };
  if (normal(unit.running_list) == normal(file_list)) {
    return {false, 0, ""};
  }
  const std::string change = "irqbalance runs with banned CPUs \"" + unit.running_list.value_or("") +
                             "\", its file now says \"" + file_list.value_or("") + "\"";
  const std::int64_t earliest =
      unit.started_usec + restart_spacing(unit.start_limit_interval_usec, unit.start_limit_burst).count();
  // (interval <= a day: no overflow)
  if (now_usec < earliest) {
    return {false, earliest, change + "; restart deferred, to stay within its start limit"};
  }
  return {true, 0, change + "; restarting it"};
}

}  // namespace isolcpus
