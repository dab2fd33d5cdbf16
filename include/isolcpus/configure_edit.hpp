// What `runc-isolcpus-ctl configure` asks of a runtime's config edit, and
// what comes back: the whole new text, whether it changed, and notes for
// the operator.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/expected.hpp"

namespace isolcpus {

struct ConfigureRequest {
  std::string handler = "isolcpus";
  std::string wrapper_path;                  // the handler's BinaryName
  std::vector<std::string> pod_annotations;  // globs the CRI plugin passes to the spec
  // containerd: the schema when the file does not say (no `version` key and
  // nothing else): 2 for containerd 1.x, 3 for 2.x; 0 when unknown.
  int fallback_version = 0;
};

struct ConfigureResult {
  std::string text;  // the whole new file
  bool changed = false;
  std::vector<std::string> notes;  // what was copied from where, and what to check
};

// The annotation globs every handler gets: each of CRI-O's high-performance
// annotations pod-wide, and per container where CRI-O reads a per-container key.
std::vector<std::string> default_pod_annotations();
// CRI-O runs its own high-performance hooks for any of the other knobs'
// annotations it lets through, so its handler lets through only load
// balancing, as before: under CRI-O, CRI-O's hooks keep the other knobs.
std::vector<std::string> crio_allowed_annotations();

// Takes the handler's block out again; unchanged when there is none.
Expected<ConfigureResult> unconfigure_handler(std::string_view text, std::string_view origin,
                                              std::string_view handler);

}  // namespace isolcpus
