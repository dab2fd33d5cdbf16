// Which tunings a container asks for, read from CRI-O's annotations: a pure
// function, like the load-balancing opt-in next to it (policy.hpp).
#pragma once

#include <string>
#include <vector>

#include "isolcpus/container_spec.hpp"
#include "isolcpus/tuning.hpp"

namespace isolcpus {

struct TuningsAsked {
  std::vector<Tuning> tunings;        // what to apply, in CRI-O's order
  std::vector<std::string> refusals;  // values no knob takes: the pod asked for something it cannot get
  std::vector<std::string> warnings;  // deprecated values, knobs this node does not honour
  std::vector<std::string> reasons;   // which annotation asked for each tuning
};

// `honoured`: the knobs this node's config turns on.  `container`: the
// container's trusted name, for the per-container keys CRI-O has
// ("<key>/<container>" wins over the pod's key for cpu-quota and
// irq-load-balancing).
TuningsAsked tunings_asked(const ContainerSpec& spec, const std::vector<Knob>& honoured,
                           const std::string& container);

}  // namespace isolcpus
