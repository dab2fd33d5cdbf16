// What `runc-isolcpus-ctl configure containerd` writes into containerd's
// config: a runtime handler for the wrapper that copies the options of the
// node's runc handler (SystemdCgroup above all), so pods of the new handler
// land in the same cgroup tree as every other pod.  Pure: text in, text out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/configure_edit.hpp"
#include "isolcpus/expected.hpp"

namespace isolcpus {

// Adds (or brings up to date) the marked block for the handler.  Refused,
// naming the line, when the text is not TOML, has a schema this does not
// know, or already defines the handler outside the block.
Expected<ConfigureResult> configure_containerd(std::string_view text, std::string_view origin,
                                               const ConfigureRequest& request);

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
