#include "isolcpus/containerd_config.hpp"

#include <algorithm>
#include <sstream>

#include "isolcpus/marked_block.hpp"
#include "toml_edit.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kRuncShim = "io.containerd.runc.v2";

// Where each config version keeps the CRI runtime plugin.
std::string_view runtime_plugin(std::int64_t version) {
  return version == 3 ? "io.containerd.cri.v1.runtime" : "io.containerd.grpc.v1.cri";
}

std::string runtimes_header(std::int64_t version, std::string_view handler) {
  return "plugins." + toml_key(runtime_plugin(version)) + ".containerd.runtimes." + toml_key(handler);
}

const toml::table* runtimes_of(const toml::table& root, std::int64_t version) {
  return root["plugins"][runtime_plugin(version)]["containerd"]["runtimes"].as_table();
}

struct Source {
  std::string name;  // the handler copied, "" for containerd's built-in runc
  const toml::table* table = nullptr;
};

// The handler whose options the new one copies: the default runtime when it
// is a runc shim, else a handler named runc, else containerd's built-in runc.
Source source_handler(const toml::table& root, std::int64_t version) {
  const auto* runtimes = runtimes_of(root, version);
  const std::string def =
      root["plugins"][runtime_plugin(version)]["containerd"]["default_runtime_name"].value_or(
          std::string("runc"));
  for (const std::string& name : {def, std::string("runc")}) {
    const auto* table = runtimes != nullptr ? (*runtimes)[name].as_table() : nullptr;
    if (table != nullptr && (*table)["runtime_type"].value_or(std::string(kRuncShim)) == kRuncShim) {
      return {name, table};
    }
  }
  return {};
}

struct Body {
  std::string text;
  std::vector<std::string> notes;
};

Body handler_body(const toml::table& root, std::int64_t version, const ConfigureRequest& request,
                  std::string_view origin) {
  const Source source = source_handler(root, version);
  Body body;
  body.notes.push_back(source.table != nullptr
                           ? "copied the options of handler \"" + source.name + "\" from " +
                                 std::string(origin)
                           : std::string(origin) +
                                 " declares no runc handler: the new one takes containerd's "
                                 "built-in runc defaults (cgroupfs driver)");
  const std::string header = runtimes_header(version, request.handler);
  body.text = "[" + header + "]\n";
  bool has_type = false;
  if (source.table != nullptr) {
    for (const auto& [key, value] : plain_keys(*source.table)) {
      has_type = has_type || key == "runtime_type";
      if (key != "pod_annotations") {
        body.text += "  " + toml_key(key) + " = " + toml_text(*value) + "\n";
      }
    }
  }
  if (!has_type) {
    body.text += "  runtime_type = \"" + std::string(kRuncShim) + "\"\n";
  }
  const toml::node* theirs = source.table != nullptr ? source.table->get("pod_annotations") : nullptr;
  body.text +=
      "  pod_annotations = " + merged_string_array(string_array(theirs), request.pod_annotations) + "\n";
  body.text += "  [" + header + ".options]\n";
  const auto* options = source.table != nullptr ? (*source.table)["options"].as_table() : nullptr;
  if (options != nullptr) {
    for (const auto& [key, value] : plain_keys(*options)) {
      if (key == "BinaryName") {
        if (value->value_or(std::string()).empty()) {
          continue;
        }
        body.notes.push_back("handler \"" + source.name + "\" runs " + toml_text(*value) +
                             ": set runtime to that path in /etc/runc-isolcpus/config.toml so the wrapper "
                             "execs the same runc");
        continue;
      }
      body.text += "    " + toml_key(key) + " = " + toml_text(*value) + "\n";
      if (key == "SystemdCgroup") {
        body.notes.push_back("SystemdCgroup = " + toml_text(*value) + " as the node's runc handler has it");
      }
    }
  }
  toml::value<std::string> binary(request.wrapper_path);
  body.text += "    BinaryName = " + toml_text(binary) + "\n";
  return body;
}

// The schema version, from the file or the caller's fallback.
Expected<std::int64_t> schema_version(const toml::table& root, std::string_view origin, int fallback,
                                      bool* write_version) {
  *write_version = false;
  if (const auto* version = root["version"].as_integer()) {
    if (version->get() == 2 || version->get() == 3) {
      return version->get();
    }
    return make_error(std::string(origin) + " line " + std::to_string(version->source().begin.line) +
                      ": version = " + std::to_string(version->get()) +
                      " is not a containerd config this knows (2: containerd 1.x, 3: containerd 2.x)");
  }
  if (!root.empty()) {
    return make_error(std::string(origin) +
                      " has no `version` key, so containerd reads it as a version 1 config; add "
                      "`version = 2` at the top once its plugin names are the version 2 ones, then run "
                      "configure again");
  }
  if (fallback != 2 && fallback != 3) {
    return make_error(std::string(origin) +
                      " is empty and containerd's version is unknown: pass --config-version 2 (containerd "
                      "1.x) or 3 (containerd 2.x)");
  }
  *write_version = true;
  return fallback;
}

}  // namespace

Expected<ConfigureResult> configure_containerd(std::string_view text, std::string_view origin,
                                               const ConfigureRequest& request) {
  std::optional<BlockSpan> span;
  auto rest = without_block(text, origin, request.handler, &span);
  if (!rest) {
    return rest.error();
  }
  auto root = parse_toml(*rest, origin);
  if (!root) {
    return root.error();
  }
  bool write_version = false;
  auto version = schema_version(*root, origin, request.fallback_version, &write_version);
  if (!version) {
    return version.error();
  }
  if (const auto* runtimes = runtimes_of(*root, *version);
      runtimes != nullptr && runtimes->contains(request.handler)) {
    const auto* existing = (*runtimes)[request.handler].node();
    return make_error(
        std::string(origin) + " line " + std::to_string(existing->source().begin.line) +
        ": runtime handler \"" + request.handler +
        "\" is already defined outside the runc-isolcpus block (tables pasted by hand?); remove "
        "it and run configure again, or name another handler with --handler");
  }
  Body body = handler_body(*root, *version, request, origin);
  if (write_version) {
    body.text = "version = " + std::to_string(*version) + "\n\n" + body.text;
  }
  ConfigureResult result;
  result.notes = std::move(body.notes);
  auto edited = checked_edit(with_block(text, *rest, span, request.handler, body.text), origin);
  if (!edited) {
    return edited.error();
  }
  result.text = std::move(*edited);
  result.changed = result.text != text;
  return result;
}

bool defines_cri_runtime_plugin(std::string_view text) {
  auto parsed = parse_toml(text, "");
  if (!parsed) {
    return false;
  }
  const toml::table& root = *parsed;
  const std::int64_t version = root["version"].value_or(std::int64_t{2});
  return root["plugins"][runtime_plugin(version)].is_table();
}

int containerd_schema_of(std::string_view output) {
  // "containerd github.com/containerd/containerd 1.6.20~ds1 ..." (Debian),
  // "containerd containerd.io 1.7.22 ...", ".../containerd/v2 v2.0.0 ...".
  std::istringstream words{std::string(output)};
  std::string name;
  std::string module;
  std::string version;
  words >> name >> module >> version;
  if (name != "containerd" || version.empty()) {
    return 0;
  }
  if (version.starts_with('v')) {
    version.erase(0, 1);
  }
  if (version.starts_with("1.")) {
    return 2;
  }
  return version.starts_with("2.") ? 3 : 0;
}

std::vector<std::string> containerd_imports(std::string_view text) {
  std::vector<std::string> out;
  auto parsed = parse_toml(text, "");
  if (!parsed) {
    return out;
  }
  if (const auto* imports = (*parsed)["imports"].as_array()) {
    imports->for_each([&](const toml::value<std::string>& path) { out.push_back(path.get()); });
  }
  return out;
}

}  // namespace isolcpus
