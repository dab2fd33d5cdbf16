#include "isolcpus/pod_identity.hpp"

#include <optional>

namespace isolcpus {
namespace {

// One identity field as each runtime spells it.
struct Field {
  std::string_view what;
  std::string_view containerd_key;
  std::string_view crio_key;
};

constexpr Field kNamespace{"pod namespace", "io.kubernetes.cri.sandbox-namespace",
                           "io.kubernetes.pod.namespace"};
constexpr Field kPodName{"pod name", "io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name"};
constexpr Field kContainerName{"container name", "io.kubernetes.cri.container-name",
                               "io.kubernetes.container.name"};

// Keys each runtime writes on every container and sandbox, after the pod's
// annotations it lets through, and the other runtime never writes.
constexpr std::string_view kContainerdMarkers[] = {"io.kubernetes.cri.container-type",
                                                   "io.kubernetes.cri.sandbox-id"};
constexpr std::string_view kCrioMarkers[] = {"io.kubernetes.cri-o.ContainerType",
                                             "io.kubernetes.cri-o.SandboxID"};

// An empty value names nothing, so it counts as absent.
std::optional<std::string> value_of(const ContainerSpec& spec, std::string_view key) {
  const auto it = spec.annotations.find(std::string(key));
  if (it == spec.annotations.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second;
}

template <std::size_t N>
bool any_present(const ContainerSpec& spec, const std::string_view (&keys)[N]) {
  for (const auto key : keys) {
    if (spec.annotations.contains(std::string(key))) {
      return true;
    }
  }
  return false;
}

std::string shown(std::string_view key, const std::string& value) {
  return std::string(key) + "=\"" + value + "\"";
}

std::string read_field(const ContainerSpec& spec, Caller caller, const Field& field,
                       std::vector<std::string>& conflicts) {
  const auto by_containerd = value_of(spec, field.containerd_key);
  const auto by_crio = value_of(spec, field.crio_key);
  const bool disagree = by_containerd && by_crio && *by_containerd != *by_crio;
  if (disagree) {
    const bool crio_first = caller == Caller::kCrio;
    const std::string trusted = crio_first
                                    ? shown(field.crio_key, *by_crio) + " (written by CRI-O)"
                                    : shown(field.containerd_key, *by_containerd) +
                                          (caller == Caller::kContainerd ? " (written by containerd)" : "");
    const std::string other =
        crio_first ? shown(field.containerd_key, *by_containerd) : shown(field.crio_key, *by_crio);
    conflicts.push_back("annotations disagree on the " + std::string(field.what) + ": " + trusted + " but " +
                        other);
  }
  switch (caller) {
    case Caller::kContainerd:
      return by_containerd.value_or("");
    case Caller::kCrio:
      return by_crio.value_or("");
    case Caller::kUnknown:
    case Caller::kBoth:
      break;
  }
  if (disagree) {
    return "";  // neither key is the runtime's own word
  }
  return by_containerd ? *by_containerd : by_crio.value_or("");
}

}  // namespace

Caller detect_caller(const ContainerSpec& spec) {
  const bool containerd = any_present(spec, kContainerdMarkers);
  const bool crio = any_present(spec, kCrioMarkers);
  if (containerd && crio) {
    return Caller::kBoth;
  }
  if (containerd) {
    return Caller::kContainerd;
  }
  return crio ? Caller::kCrio : Caller::kUnknown;
}

std::string_view to_string(Caller caller) {
  switch (caller) {
    case Caller::kContainerd:
      return "containerd";
    case Caller::kCrio:
      return "CRI-O";
    case Caller::kBoth:
      return "containerd and CRI-O markers both (one set forged)";
    case Caller::kUnknown:
      break;
  }
  return "neither containerd nor CRI-O";
}

PodIdentity pod_identity(const ContainerSpec& spec) {
  PodIdentity id;
  id.caller = detect_caller(spec);
  id.pod_namespace = read_field(spec, id.caller, kNamespace, id.conflicts);
  id.pod_name = read_field(spec, id.caller, kPodName, id.conflicts);
  id.container_name = read_field(spec, id.caller, kContainerName, id.conflicts);
  return id;
}

std::string namespace_keys(Caller caller) {
  switch (caller) {
    case Caller::kContainerd:
      return std::string(kNamespace.containerd_key) + ", written by containerd";
    case Caller::kCrio:
      return std::string(kNamespace.crio_key) + ", written by CRI-O";
    case Caller::kUnknown:
    case Caller::kBoth:
      break;
  }
  return std::string(kNamespace.crio_key) + " or " + std::string(kNamespace.containerd_key);
}

}  // namespace isolcpus
