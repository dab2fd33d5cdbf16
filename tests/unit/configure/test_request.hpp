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

}  // namespace isolcpus
