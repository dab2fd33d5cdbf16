// CRI-O's values, and ours where CRI-O is silent: an unknown value is a
// refusal (the pod asked for something and must hear it will not get it),
// "enable" is the knob's default (nothing to do), "true" is CRI-O's
// deprecated spelling of "disable".
#include "isolcpus/tuning_policy.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

namespace isolcpus {
namespace {

struct Found {
  std::string key;
  std::string value;
};

std::optional<Found> find(const ContainerSpec& spec, const std::string& key) {
  const auto it = spec.annotations.find(key);
  if (it == spec.annotations.end()) {
    return std::nullopt;
  }
  return Found{key, it->second};
}

// The container's own key wins where CRI-O has one.
std::optional<Found> lookup(const ContainerSpec& spec, Knob knob, const std::string& container) {
  const std::string key = annotation_key(knob);
  const bool per_container = knob == Knob::kCpuQuota || knob == Knob::kIrqLoadBalancing;
  if (per_container && !container.empty()) {
    if (auto own = find(spec, key + "/" + container)) {
      return own;
    }
  }
  return find(spec, key);
}

// N as the kernel must read it: decimal without leading zeros (it parses
// "010" as octal), above 0, below its "no constraint" value S32_MAX.
std::optional<std::string> latency(std::string_view digits) {
  int value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value <= 0 ||
      value == std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return std::to_string(value);
}

// A governor's name as cpufreq spells them (CPUFREQ_NAME_LEN is 16).
bool governor_name(std::string_view v) {
  return !v.empty() && v.size() < 16 && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// The normalised value, "" for "nothing to do", nullopt for a value the
// knob does not take.
std::optional<std::string> normalise(Knob knob, const std::string& value, std::vector<std::string>& warnings,
                                     const std::string& key) {
  switch (knob) {
    case Knob::kCpuQuota:
    case Knob::kIrqLoadBalancing:
      if (value == "true") {
        warnings.push_back(key + ": annotation value \"true\" is deprecated; use \"disable\"");
        return "disable";
      }
      if (value == "disable" || (knob == Knob::kIrqLoadBalancing && value == "housekeeping")) {
        return value;
      }
      return value == "enable" ? std::optional<std::string>("") : std::nullopt;
    case Knob::kCStates:
      if (value == "enable" || value == "disable") {
        return value;
      }
      if (auto n = value.starts_with("max_latency:") ? latency(std::string_view(value).substr(12))
                                                     : std::nullopt) {
        return "max_latency:" + *n;
      }
      return std::nullopt;
    case Knob::kGovernor:
      return governor_name(value) ? std::optional<std::string>(value) : std::nullopt;
  }
  return std::nullopt;
}

std::string_view accepted(Knob knob) {
  switch (knob) {
    case Knob::kCpuQuota:
      return "\"disable\" or \"enable\"";
    case Knob::kIrqLoadBalancing:
      return "\"disable\", \"housekeeping\" or \"enable\"";
    case Knob::kCStates:
      return "\"enable\", \"disable\" or \"max_latency:<microseconds>\" (a positive integer)";
    case Knob::kGovernor:
      return "a governor's name from scaling_available_governors, e.g. \"performance\"";
  }
  return "";
}

}  // namespace

TuningsAsked tunings_asked(const ContainerSpec& spec, const std::vector<Knob>& honoured,
                           const std::string& container) {
  TuningsAsked asked;
  // CRI-O's PreStart order: IRQs, quota, C-states, governor.
  for (const Knob knob : {Knob::kIrqLoadBalancing, Knob::kCpuQuota, Knob::kCStates, Knob::kGovernor}) {
    const auto found = lookup(spec, knob, container);
    if (!found) {
      continue;
    }
    if (std::find(honoured.begin(), honoured.end(), knob) == honoured.end()) {
      asked.warnings.push_back("annotation " + found->key + " is ignored: this node does not honour " +
                               std::string(knob_name(knob)) + " (config key `knobs`)");
      continue;
    }
    const auto value = normalise(knob, found->value, asked.warnings, found->key);
    if (!value) {
      asked.refusals.push_back("annotation " + found->key + "=\"" + found->value.substr(0, 64) +
                               "\" is not a value it takes; use " + std::string(accepted(knob)));
      continue;
    }
    if (value->empty()) {
      continue;
    }
    asked.tunings.push_back(Tuning{knob, *value});
    asked.reasons.push_back(found->key + "=" + *value);
  }
  return asked;
}

}  // namespace isolcpus
