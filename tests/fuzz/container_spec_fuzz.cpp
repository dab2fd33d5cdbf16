// A bundle's config.json, which whoever creates the container writes: parsed
// without crash or UB, and the policy over what it yields keeps its promises
// (a container that did not opt in is never isolated; an isolation fits the
// guardrails).
#include <string>

#include "fuzz_support.hpp"
#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/container_spec.hpp"
#include "isolcpus/policy.hpp"

namespace {

using isolcpus::fuzz::check;

// Any annotation that could opt in: the pod key or a per-container key with
// a value that means "disable load balancing".
bool asks_for_isolation(const isolcpus::ContainerSpec& spec) {
  const std::string pod_key(isolcpus::kLoadBalancingAnnotation);
  for (const auto& [key, value] : spec.annotations) {
    if ((key == pod_key || key.starts_with(pod_key + "/")) && (value == "disable" || value == "true")) {
      return true;
    }
  }
  return false;
}

void check_policy(const isolcpus::ContainerSpec& spec) {
  const isolcpus::HostCpus host{isolcpus::CpuSet::range(0, 7), isolcpus::CpuSet::of({1})};
  const isolcpus::PolicyConfig policy{.mode = isolcpus::Mode::kAnnotation,
                                      .allowed_namespaces = {"telco"},
                                      .isolatable_cpus = isolcpus::CpuSet::range(2, 6),
                                      .min_housekeeping_cpus = 2};
  const auto decision = isolcpus::decide(spec, policy, host);
  check(!decision.reason.empty(), "every decision says why");
  if (decision.verdict != isolcpus::Verdict::kIsolate) {
    return;
  }
  check(asks_for_isolation(spec), "only an opted-in container is isolated");
  check(spec.cpus && decision.cpus == *spec.cpus, "the container's own CPUs are isolated");
  check(!decision.cpus.empty() && policy.isolatable_cpus->contains(decision.cpus), "within isolatable_cpus");
  check(!decision.cpus.intersects(host.isolated), "never a CPU isolated already");
  check((host.online - host.isolated - decision.cpus).count() >= policy.min_housekeeping_cpus,
        "the housekeeping floor holds");
  check(isolcpus::pod_namespace(spec) == "telco", "only an allowed namespace");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto spec = isolcpus::parse_container_spec(isolcpus::fuzz::as_text(data, size), "config.json");
  if (!spec) {
    check(spec.error().message.starts_with("config.json: "), "a refusal names the file");
    return 0;
  }
  check(!spec->cpus || !spec->cpus->empty(), "an empty cpus reads as unset");
  for (const bool systemd : {false, true}) {
    (void)isolcpus::cgroup_from_cgroups_path(spec->cgroups_path, systemd, "fuzz", isolcpus::CgroupPath{});
  }
  check_policy(*spec);
  return 0;
}
