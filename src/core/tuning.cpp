#include "isolcpus/tuning.hpp"

#include <algorithm>
#include <utility>

namespace isolcpus {
namespace {

constexpr std::pair<Knob, std::string_view> kNames[] = {
    {Knob::kCpuQuota, "cpu-quota"},
    {Knob::kIrqLoadBalancing, "irq-load-balancing"},
    {Knob::kCStates, "cpu-c-states"},
    {Knob::kGovernor, "cpu-freq-governor"},
};

}  // namespace

std::string_view knob_name(Knob knob) {
  return std::find_if(std::begin(kNames), std::end(kNames), [&](const auto& n) { return n.first == knob; })
      ->second;
}

std::optional<Knob> knob_from_name(std::string_view name) {
  const auto* it =
      std::find_if(std::begin(kNames), std::end(kNames), [&](const auto& n) { return n.second == name; });
  return it == std::end(kNames) ? std::nullopt : std::optional<Knob>(it->first);
}

std::string annotation_key(Knob knob) { return std::string(knob_name(knob)) + ".crio.io"; }

}  // namespace isolcpus
