// configure/unconfigure containerd on any text: no crash, no undefined
// behaviour, and where configure succeeds its promises hold: the text it
// started from is a prefix of what it writes (nothing of the operator's
// moves), a second run changes nothing, and unconfigure gives back every
// byte; and what it writes is TOML.  Input: [schema byte] config text.
#include <string>

#include "configure/toml_edit.hpp"
#include "fuzz_support.hpp"
#include "isolcpus/containerd_config.hpp"

using isolcpus::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  isolcpus::ConfigureRequest request;
  request.wrapper_path = "/usr/bin/runc-isolcpus";
  request.pod_annotations = isolcpus::default_pod_annotations();
  request.fallback_version = (data[0] & 1U) != 0 ? 3 : 2;
  const std::string text(isolcpus::fuzz::as_text(data + 1, size - 1));
  const auto configured = isolcpus::configure_containerd(text, "config.toml", request);
  (void)isolcpus::unconfigure_handler(text, "config.toml", request.handler);
  if (!configured) {
    return 0;
  }
  check(isolcpus::parse_toml(configured->text, "config.toml").has_value(), "what configure writes parses");
  if (text.find("# BEGIN runc-isolcpus") == std::string::npos) {
    check(configured->text.starts_with(text), "the operator's text stays a prefix");
    const auto back = isolcpus::unconfigure_handler(configured->text, "config.toml", request.handler);
    check(back.has_value() && back->text == text, "unconfigure gives back every byte");
  }
  const auto again = isolcpus::configure_containerd(configured->text, "config.toml", request);
  check(again.has_value() && !again->changed && again->text == configured->text,
        "a second run changes nothing");
  return 0;
}
