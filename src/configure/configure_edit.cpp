#include "isolcpus/configure_edit.hpp"

#include <optional>

#include "toml_edit.hpp"

namespace isolcpus {

std::vector<std::string> default_pod_annotations() {
  return {"cpu-load-balancing.crio.io", "cpu-load-balancing.crio.io/*", "cpu-quota.crio.io",
          "cpu-quota.crio.io/*",        "irq-load-balancing.crio.io",   "irq-load-balancing.crio.io/*",
          "cpu-c-states.crio.io",       "cpu-freq-governor.crio.io"};
}

std::vector<std::string> crio_allowed_annotations() {
  return {"cpu-load-balancing.crio.io", "cpu-load-balancing.crio.io/*"};
}

Expected<ConfigureResult> unconfigure_handler(std::string_view text, std::string_view origin,
                                              std::string_view handler) {
  std::optional<BlockSpan> span;
  auto rest = without_block(text, origin, handler, &span);
  if (!rest) {
    return rest.error();
  }
  ConfigureResult result;
  result.text = *rest;
  result.changed = span.has_value();
  if (!span) {
    result.notes.push_back(std::string(origin) + " has no runc-isolcpus block for handler \"" +
                           std::string(handler) + "\"");
  }
  return result;
}

}  // namespace isolcpus
