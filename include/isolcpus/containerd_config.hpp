// What `runc-isolcpus-ctl configure containerd` writes into containerd's
// config: a runtime handler for the wrapper that copies the options of the
// node's runc handler (SystemdCgroup above all), so pods of the new handler
// land in the same cgroup tree as every other pod.  Pure: text in, text out.
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
  // The schema when the file does not say (no `version` key and nothing
  // else): 2 for containerd 1.x, 3 for 2.x; 0 when unknown.
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

// Adds (or brings up to date) the marked block for the handler.  Refused,
// naming the line, when the text is not TOML, has a schema this does not
// know, or already defines the handler outside the block.
Expected<ConfigureResult> configure_containerd(std::string_view text, std::string_view origin,
                                               const ConfigureRequest& request);

// Takes the handler's block out again; unchanged when there is none.
Expected<ConfigureResult> unconfigure_containerd(std::string_view text, std::string_view origin,
                                                 std::string_view handler);

// Whether the text defines the CRI runtime plugin's section: containerd 1.x
// takes that whole section from the LAST import that defines it, so the
// handler must go into that file (containerd issue 5837).
bool defines_cri_runtime_plugin(std::string_view text);

// The config schema of the containerd whose `containerd --version` printed
// `output`: 2 for 1.x, 3 for 2.x, 0 when it cannot tell.
int containerd_schema_of(std::string_view output);

// The `imports` of a containerd config (empty when none, or not TOML).
std::vector<std::string> containerd_imports(std::string_view text);

}  // namespace isolcpus
