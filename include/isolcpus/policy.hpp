// Policy: should this container's CPUs be isolated?  A pure function over
// plain values, so every rule is a table test.
#pragma once

#include <string>
#include <vector>

#include "isolcpus/config.hpp"
#include "isolcpus/container_spec.hpp"
#include "isolcpus/cpuset.hpp"
#include "isolcpus/pod_identity.hpp"
#include "isolcpus/tuning.hpp"

namespace isolcpus {

inline constexpr std::string_view kLoadBalancingAnnotation = "cpu-load-balancing.crio.io";

enum class Verdict {
  kSkip,     // not opted in, or not eligible: leave the container alone
  kIsolate,  // isolate `cpus` (load balancing off and/or tunings)
  kRefuse,   // opted in and eligible, but a guardrail forbids it: on_failure applies
};

struct Decision {
  Verdict verdict = Verdict::kSkip;
  CpuSet cpus;
  std::string reason;                 // always set: why this verdict
  std::vector<std::string> warnings;  // e.g. deprecated annotation value
  bool cpuset_isolation = true;       // kIsolate: load balancing off (false: tunings only)
  std::vector<Tuning> tunings;        // kIsolate: the other knobs, in CRI-O's order
};

// What the node looks like right now, as far as policy cares.
struct HostCpus {
  CpuSet online;
  CpuSet isolated;  // already isolated: by other containers and at boot
  // The ledger recorded this container's opt-in when it decided: it stands
  // for the opt-in when the spec says nothing (an update whose bundle can no
  // longer be read still moves an isolated container's claim).
  bool opt_in_recorded = false;
};

struct PolicyConfig {
  Mode mode = Mode::kAnnotation;
  std::vector<std::string> allowed_namespaces;
  std::optional<CpuSet> isolatable_cpus;
  unsigned min_housekeeping_cpus = 2;
  std::vector<Knob> knobs = {Knob::kCpuQuota, Knob::kIrqLoadBalancing, Knob::kCStates, Knob::kGovernor};
};

PolicyConfig policy_config(const Config& config);

Decision decide(const ContainerSpec& spec, const PolicyConfig& policy, const HostCpus& host);

// The decision when the node cannot be read (no host probe, no ledger):
// the skip of a container that is skipped whatever its CPUs' state, so an
// unreadable node fails only the containers that want isolation.  nullopt
// when the node's state decides.
std::optional<Decision> decide_without_node(const ContainerSpec& spec, const PolicyConfig& policy);

// Identity helpers shared by the ledger and status output: the trusted
// values of pod_identity() (include/isolcpus/pod_identity.hpp).
std::string pod_namespace(const ContainerSpec& spec);
std::string pod_name(const ContainerSpec& spec);
std::string container_name(const ContainerSpec& spec);

}  // namespace isolcpus
