// The request both runtime edits are tested with: the installed wrapper
// and the default annotation globs.
#pragma once

#include "isolcpus/configure_edit.hpp"

namespace isolcpus {

inline ConfigureRequest request() {
  ConfigureRequest r;
  r.wrapper_path = "/usr/bin/runc-isolcpus";
  r.pod_annotations = default_pod_annotations();
  return r;
}

// CRI-O's handler lets through only load balancing (crio_allowed_annotations).
inline ConfigureRequest crio_request() {
  ConfigureRequest r = request();
  r.pod_annotations = crio_allowed_annotations();
  return r;
}

}  // namespace isolcpus
