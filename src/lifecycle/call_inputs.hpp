// What a call needs from outside the node lock, read before taking it:
// nothing that can block (a FIFO as config.json, a caller that keeps stdin
// open, a huge file) may run while every other container on the node waits.
#pragma once

#include <optional>
#include <string>

#include "isolcpus/container_spec.hpp"
#include "isolcpus/cpuset.hpp"
#include "isolcpus/expected.hpp"
#include "steps.hpp"

namespace isolcpus {

// The largest `update -r` document read; runc's are a few hundred bytes.
inline constexpr std::size_t kMaxUpdateBytes = std::size_t{1} << 20;

struct CallInputs {
  // create/run/restore: the call's bundle; start with no decision: the bundle
  // runc recorded; update: the bundle of the entry being updated.
  std::optional<Expected<ContainerSpec>> spec;
  std::string bundle;
  // create/run/restore: runc already has a container of this id, so the
  // call fails in runc and nothing here may touch the existing one.
  bool id_taken = false;
  // update: the new CPUs (nullopt: cpus untouched, or runc fails on its
  // input; the empty set: a blank list, which unpins on cgroup v2), the
  // stdin bytes consumed (replayed to runc), and a reason to refuse the
  // call (src/lifecycle/update_input.hpp).
  std::optional<CpuSet> new_cpus;
  std::optional<std::string> stdin_bytes;
  std::optional<std::string> refusal;
};

CallInputs read_call_inputs(const Call& call);

}  // namespace isolcpus
