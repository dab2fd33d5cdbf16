// The isolation decision, in three steps that mirror how an operator reasons
// about it: did the pod ask (opt-in)?  could CRI-O's rules ever honour it
// (eligibility: Skip, silently, like CRI-O)?  does this node's configuration
// allow it (guardrails: Refuse, loudly, because someone asked and will not
// get what they asked for)?
#include "isolcpus/policy.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "isolcpus/cpu_guardrails.hpp"
#include "isolcpus/tuning_policy.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kDisable = "disable";
constexpr std::string_view kEnable = "enable";
constexpr std::string_view kDeprecatedTrue = "true";
constexpr std::uint64_t kSharesPerCpu = 1024;

std::string_view annotation(const ContainerSpec& spec, std::string_view key) {
  const auto it = spec.annotations.find(std::string(key));
  return it == spec.annotations.end() ? std::string_view{} : std::string_view(it->second);
}

// Either runtime's type key: a forged "sandbox" only makes a pod skip itself.
bool is_sandbox(const ContainerSpec& spec) {
  return annotation(spec, "io.kubernetes.cri.container-type") == "sandbox" ||
         annotation(spec, "io.kubernetes.cri-o.ContainerType") == "sandbox";
}

struct OptIn {
  bool opted_in = false;
  std::string reason;  // why in, or why not
  std::vector<std::string> warnings;
};

OptIn opt_in(const ContainerSpec& spec, Mode mode, bool recorded) {
  OptIn result;
  const std::string pod_key(kLoadBalancingAnnotation);

  // The per-container override wins over the pod annotation and over
  // mode=always: the pod author knows which of their containers is the
  // latency-sensitive one.
  if (const auto name = container_name(spec); !name.empty()) {
    const std::string key = pod_key + "/" + name;
    const auto value = annotation(spec, key);
    if (value == kDisable) {
      result.opted_in = true;
      result.reason = "opted in by container annotation " + key + "=disable";
      return result;
    }
    if (value == kEnable) {
      result.reason = "opted out by container annotation " + key + "=enable";
      return result;
    }
    if (spec.annotations.contains(key)) {
      result.warnings.push_back(
          "annotation " + key + "=\"" + std::string(value) +
          "\" is ignored; use \"disable\" to opt this container in or \"enable\" to opt it "
          "out");
    }
  }

  if (mode == Mode::kAlways) {
    result.opted_in = true;
    result.reason = "opted in by mode=always (the runtime handler is the opt-in)";
    return result;
  }

  const auto it = spec.annotations.find(pod_key);
  if (it == spec.annotations.end() && recorded) {
    result.opted_in = true;
    result.reason = "opted in when the ledger recorded the container (the spec names no opt-in)";
    return result;
  }
  if (it == spec.annotations.end()) {
    result.reason = "not opted in: annotation " + pod_key + " is absent";
    return result;
  }
  if (it->second == kDisable) {
    result.opted_in = true;
    result.reason = "opted in by pod annotation " + pod_key + "=disable";
    return result;
  }
  if (it->second == kDeprecatedTrue) {
    result.opted_in = true;
    result.reason = "opted in by pod annotation " + pod_key + "=true";
    result.warnings.push_back(pod_key + ": annotation value \"true\" is deprecated; use \"disable\"");
    return result;
  }
  result.reason =
      "not opted in: annotation " + pod_key + "=\"" + it->second + "\" (only \"disable\" opts in)";
  return result;
}

// A kubepods QoS parent that is not Guaranteed, in any spelling kubelet
// uses: cgroupfs "burstable", systemd "kubepods-burstable.slice" and its
// children "kubepods-burstable-pod<uid>.slice".
bool is_shared_qos_component(std::string_view component) {
  if (component.ends_with(".slice")) {
    component.remove_suffix(std::string_view(".slice").size());
  }
  for (const std::string_view qos : {"burstable", "besteffort"}) {
    if (component == qos) {
      return true;
    }
    const std::string slice = "kubepods-" + std::string(qos);
    if (component == slice || component.starts_with(slice + "-")) {
      return true;
    }
  }
  return false;
}

// The first non-Guaranteed QoS parent in cgroupsPath, if any.
std::optional<std::string> shared_qos_parent(std::string_view path) {
  // systemd driver: "slice:prefix:name"; only the slice is a parent.
  if (path.find('/') == std::string_view::npos && std::count(path.begin(), path.end(), ':') == 2) {
    const auto slice = path.substr(0, path.find(':'));
    if (is_shared_qos_component(slice)) {
      return std::string(slice);
    }
    return std::nullopt;
  }
  // cgroupfs: every component but the last (the container's own) is a parent.
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    if (end > start) {
      parts.push_back(path.substr(start, end - start));
    }
    start = end + 1;
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (is_shared_qos_component(parts[i])) {
      return std::string(parts[i]);
    }
  }
  return std::nullopt;
}

// Why the container can never get exclusive CPUs, or nullopt if it can.
std::optional<std::string> ineligible(const ContainerSpec& spec) {
  if (!spec.cpus || spec.cpus->empty()) {
    return "not eligible: no pinned CPUs (linux.resources.cpu.cpus is unset)";
  }
  if (!spec.shares) {
    return "not eligible: cpu shares are unset, so the container did not request whole CPUs";
  }
  if (*spec.shares == 0 || *spec.shares % kSharesPerCpu != 0) {
    return "not eligible: cpu shares " + std::to_string(*spec.shares) +
           " are not a positive multiple of 1024 (whole CPUs)";
  }
  if (auto parent = shared_qos_parent(spec.cgroups_path)) {
    return "not eligible: cgroupsPath \"" + spec.cgroups_path +
           "\" is under the non-Guaranteed QoS parent \"" + *parent + "\"";
  }
  return std::nullopt;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += out.empty() ? "" : ", ";
    out += item;
  }
  return out;
}

std::string show(const CpuSet& cpus) { return cpus.empty() ? "none" : cpus.to_string(); }

// Why the pod's identity forbids isolating it, or nullopt if nothing does.
std::optional<std::string> identity_refusal(const ContainerSpec& spec, const PolicyConfig& policy) {
  const PodIdentity id = pod_identity(spec);
  if (!id.conflicts.empty()) {
    // Only a pod's own annotation can contradict its runtime's keys: it
    // may be posing as another namespace or container.
    std::string all;
    for (const auto& c : id.conflicts) {
      all += all.empty() ? "" : "; ";
      all += c;
    }
    return "refused: " + all + " (runtime: " + std::string(to_string(id.caller)) +
           "); only the keys the runtime writes itself are trusted, so a pod annotation may not name another "
           "pod or container";
  }
  if (policy.allowed_namespaces.empty()) {
    return std::nullopt;
  }
  const auto& ns = id.pod_namespace;
  if (ns.empty()) {
    return "refused: the container has no pod namespace annotation (" + namespace_keys(id.caller) +
           ") and allowed_namespaces is set to [" + join(policy.allowed_namespaces) + "]";
  }
  const auto& allowed = policy.allowed_namespaces;
  if (std::find(allowed.begin(), allowed.end(), ns) == allowed.end()) {
    return "refused: namespace \"" + ns + "\" is not in allowed_namespaces [" + join(allowed) +
           "]; add it to the config to allow it";
  }
  return std::nullopt;
}

// Why a guardrail forbids isolating `cpus`, or nullopt if none does.
std::optional<std::string> refused(const ContainerSpec& spec, const CpuSet& cpus, const PolicyConfig& policy,
                                   const HostCpus& host) {
  if (auto why = identity_refusal(spec, policy)) {
    return why;
  }
  if (policy.isolatable_cpus) {
    if (const auto outside = cpus - *policy.isolatable_cpus; !outside.empty()) {
      return "refused: CPUs " + outside.to_string() + " are outside isolatable_cpus " +
             show(*policy.isolatable_cpus);
    }
  }
  const CpuGuardrails guard{.online = host.online,
                            .boot_isolated = {},  // part of host.isolated
                            .holders = {{host.isolated, "another container or at boot"}},
                            .min_housekeeping_cpus = policy.min_housekeeping_cpus};
  if (auto why = guardrail_violation(cpus, guard)) {
    return "refused: " + *why;
  }
  return std::nullopt;
}

}  // namespace

PolicyConfig policy_config(const Config& config) {
  return PolicyConfig{
      .mode = config.mode,
      .allowed_namespaces = config.allowed_namespaces,
      .isolatable_cpus = config.isolatable_cpus,
      .min_housekeeping_cpus = config.min_housekeeping_cpus,
      .knobs = config.knobs,
  };
}

Decision decide(const ContainerSpec& spec, const PolicyConfig& policy, const HostCpus& host) {
  Decision d;
  if (policy.mode == Mode::kNever) {
    d.reason = "mode=never";
    return d;
  }
  // Checked before the opt-in: the pod's annotations reach the pause
  // container too, and it should not repeat the pod's warnings.
  if (is_sandbox(spec)) {
    d.reason = "not eligible: sandbox (pause) container";
    return d;
  }
  auto in = opt_in(spec, policy.mode, host.opt_in_recorded);
  auto asked = tunings_asked(spec, policy.knobs, container_name(spec));
  d.warnings = std::move(in.warnings);
  d.warnings.insert(d.warnings.end(), asked.warnings.begin(), asked.warnings.end());
  if (!in.opted_in && asked.tunings.empty() && asked.refusals.empty()) {
    d.reason = std::move(in.reason);
    return d;
  }
  if (auto why = ineligible(spec)) {
    d.reason = std::move(*why);
    return d;
  }
  const CpuSet& cpus = *spec.cpus;
  if (!asked.refusals.empty()) {
    d.verdict = Verdict::kRefuse;
    d.cpus = cpus;
    d.reason = "refused: " + join(asked.refusals);
    return d;
  }
  if (auto why = refused(spec, cpus, policy, host)) {
    d.verdict = Verdict::kRefuse;
    d.cpus = cpus;  // what was asked for, for the operator's log
    d.reason = std::move(*why);
    return d;
  }
  d.verdict = Verdict::kIsolate;
  d.cpus = cpus;
  d.cpuset_isolation = in.opted_in;
  d.tunings = std::move(asked.tunings);
  d.reason = in.opted_in ? std::move(in.reason) : "load balancing left on (" + in.reason + ")";
  if (!asked.reasons.empty()) {
    d.reason += "; tunings asked by " + join(asked.reasons);
  }
  return d;
}

std::optional<Decision> decide_without_node(const ContainerSpec& spec, const PolicyConfig& policy) {
  // No CPU is online on an unknown node: any container that would be
  // isolated is refused there, so only a skip stands without the node.
  Decision d = decide(spec, policy, HostCpus{});
  if (d.verdict != Verdict::kSkip) {
    return std::nullopt;
  }
  return d;
}

std::string pod_namespace(const ContainerSpec& spec) { return pod_identity(spec).pod_namespace; }

std::string pod_name(const ContainerSpec& spec) { return pod_identity(spec).pod_name; }

std::string container_name(const ContainerSpec& spec) { return pod_identity(spec).container_name; }

}  // namespace isolcpus
