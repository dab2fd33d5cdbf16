// PodIdentity: which pod and container a config.json belongs to, read only
// from the annotations the calling runtime writes itself.
//
// A pod's own annotations can reach config.json: under containerd through
// the handler's pod_annotations globs, under CRI-O through its
// allowed_annotations.  Each runtime writes its identity keys after those,
// so its own keys always hold its values, but a pod can add the OTHER
// runtime's keys.  So: tell the runtime by marker keys only it writes, trust
// only its keys, and report any identity key that disagrees with them.
//
//   containerd  markers io.kubernetes.cri.container-type, io.kubernetes.cri.sandbox-id
//               trusted io.kubernetes.cri.sandbox-namespace, io.kubernetes.cri.sandbox-name,
//                       io.kubernetes.cri.container-name
//   CRI-O       markers io.kubernetes.cri-o.ContainerType, io.kubernetes.cri-o.SandboxID
//               trusted io.kubernetes.pod.namespace, io.kubernetes.pod.name,
//                       io.kubernetes.container.name
//
// Markers of both (one set forged), or of neither (podman, ctr, plain runc:
// whoever wrote config.json wrote every key): either key is taken, and the
// two must agree.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/container_spec.hpp"

namespace isolcpus {

enum class Caller { kUnknown, kContainerd, kCrio, kBoth };

// Pure: by the marker keys present.
Caller detect_caller(const ContainerSpec& spec);
std::string_view to_string(Caller caller);

struct PodIdentity {
  Caller caller = Caller::kUnknown;
  std::string pod_namespace;  // "" when the trusted key is absent
  std::string pod_name;
  std::string container_name;
  // One sentence per field whose keys disagree, naming both keys and values.
  std::vector<std::string> conflicts;
};

// Pure.
PodIdentity pod_identity(const ContainerSpec& spec);

// The namespace key(s) `caller` is trusted for, for messages:
// "io.kubernetes.cri.sandbox-namespace (set by containerd)".
std::string namespace_keys(Caller caller);

}  // namespace isolcpus
