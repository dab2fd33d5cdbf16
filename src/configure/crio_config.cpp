#include "isolcpus/crio_config.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "isolcpus/marked_block.hpp"
#include "toml_edit.hpp"

namespace isolcpus {
namespace {

// What CRI-O's runc handler has when no file sets it (crio.conf(5)).
constexpr std::string_view kDefaultRuntimeRoot = "/run/runc";

// The settings CRI-O ends up with, key by key, the later file winning.
struct CrioView {
  std::string default_runtime = "runc";
  std::map<std::string, std::map<std::string, std::string>> runtimes;  // handler -> key -> TOML text
  std::map<std::string, std::vector<std::string>> annotations;         // handler -> allowed_annotations
};

Expected<void> merge(const CrioSource& source, std::string_view handler, CrioView& view) {
  auto doc = parse_toml(source.text, source.path);
  if (!doc) {
    return doc.error();
  }
  if (const auto* name = (*doc)["crio"]["runtime"]["default_runtime"].as_string()) {
    view.default_runtime = name->get();
  }
  const auto* runtimes = (*doc)["crio"]["runtime"]["runtimes"].as_table();
  if (runtimes == nullptr) {
    return {};
  }
  if (const auto* ours = runtimes->get(handler)) {
    return make_error(source.path + " line " + std::to_string(ours->source().begin.line) +
                      ": runtime handler \"" + std::string(handler) +
                      "\" is already defined there; remove it and run configure again, or name another "
                      "handler with --handler");
  }
  for (auto&& [name, node] : *runtimes) {
    const auto* table = node.as_table();
    for (const auto& [key, value] : table != nullptr ? plain_keys(*table) : decltype(plain_keys(*table)){}) {
      if (key == "allowed_annotations" && value->is_array()) {
        view.annotations[std::string(name.str())] = string_array(value);
      } else {
        view.runtimes[std::string(name.str())][key] = toml_text(*value);
      }
    }
  }
  return {};
}

}  // namespace

Expected<ConfigureResult> configure_crio(std::string_view dropin, std::string_view dropin_path,
                                         const std::vector<CrioSource>& sources,
                                         const ConfigureRequest& request) {
  std::optional<BlockSpan> span;
  auto rest = without_block(dropin, dropin_path, request.handler, &span);
  if (!rest) {
    return rest.error();
  }
  CrioView view;
  for (const CrioSource& source : sources) {
    if (auto ok = merge(source, request.handler, view); !ok) {
      return ok.error();
    }
  }
  if (auto ok = merge({std::string(dropin_path), *rest}, request.handler, view); !ok) {
    return ok.error();
  }
  ConfigureResult result;
  std::string name = view.default_runtime;
  auto settings = view.runtimes[name];
  if (settings.contains("runtime_type") && settings["runtime_type"] != "'oci'") {
    result.notes.push_back("the default runtime \"" + name + "\" is not an OCI runtime (runtime_type " +
                           settings["runtime_type"] + "): copying the settings of \"runc\" instead");
    name = "runc";
    settings = view.runtimes[name];
  }
  result.notes.push_back("copied the settings of CRI-O's \"" + name + "\" handler");
  if (name != "runc") {
    result.notes.push_back(
        "the wrapper execs the runtime named in /etc/runc-isolcpus/config.toml (runc unless "
        "`runtime` says otherwise): set runtime to " +
        name +
        "'s binary, as its runtime_root "
        "is copied");
  }
  if (auto path = settings.find("runtime_path"); path != settings.end() && path->second != "''") {
    result.notes.push_back(
        "handler \"" + name + "\" runs " + path->second +
        ": set runtime to that path in /etc/runc-isolcpus/config.toml so the wrapper execs it");
  }
  settings.erase("runtime_path");
  settings.try_emplace("runtime_type", "'oci'");
  settings.try_emplace("runtime_root", "'" + std::string(kDefaultRuntimeRoot) + "'");
  std::string body = "[crio.runtime.runtimes." + toml_key(request.handler) + "]\n";
  body += "runtime_path = " + toml_text(toml::value<std::string>(request.wrapper_path)) + "\n";
  for (const auto& [key, value] : settings) {
    body += toml_key(key) + " = " + value + "\n";
  }
  body +=
      "allowed_annotations = " + merged_string_array(view.annotations[name], request.pod_annotations) + "\n";
  result.notes.push_back(
      "CRI-O runs its own high-performance hooks for pods of a handler that allows "
      "cpu-load-balancing.crio.io: "
      "see docs/OPERATIONS.md before using both");
  auto edited = checked_edit(with_block(dropin, *rest, span, request.handler, body), dropin_path);
  if (!edited) {
    return edited.error();
  }
  result.text = std::move(*edited);
  result.changed = result.text != dropin;
  return result;
}

}  // namespace isolcpus
