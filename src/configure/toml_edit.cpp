// Reading a runtime's TOML config for `configure`: values printed back as
// TOML, our marked block set aside.
#include "toml_edit.hpp"

#include <algorithm>
#include <sstream>

#include "isolcpus/marked_block.hpp"
#include "isolcpus/text.hpp"
#include "isolcpus/toml_guard.hpp"

namespace isolcpus {

std::string toml_key(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (bare) {
    return std::string(key);
  }
  // Double quotes, as containerd's own configs spell the plugin names.
  return quote_string(key);
}

std::string toml_text(const toml::node& node) {
  std::ostringstream out;
  node.visit([&](const auto& n) { out << n; });
  return out.str();
}

// Key-value pairs of a table (no sub-tables), in the file's order.
std::vector<std::pair<std::string, const toml::node*>> plain_keys(const toml::table& table) {
  std::vector<std::pair<std::string, const toml::node*>> out;
  for (auto&& [key, value] : table) {
    if (!value.is_table()) {
      out.emplace_back(std::string(key.str()), &value);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second->source().begin < b.second->source().begin;
  });
  return out;
}

std::vector<std::string> string_array(const toml::node* node) {
  std::vector<std::string> out;
  if (const auto* array = node != nullptr ? node->as_array() : nullptr) {
    array->for_each([&](const toml::value<std::string>& s) { out.push_back(s.get()); });
  }
  return out;
}

std::string merged_string_array(const std::vector<std::string>& theirs,
                                const std::vector<std::string>& ours) {
  std::vector<std::string> all = theirs;
  for (const std::string& s : ours) {
    if (std::find(all.begin(), all.end(), s) == all.end()) {
      all.push_back(s);
    }
  }
  toml::array array;
  for (const std::string& s : all) {
    array.push_back(s);
  }
  return toml_text(array);
}

// With exceptions, as config.cpp compiles toml++: its parser is inline, and
// one program must see one flavour of it.
Expected<toml::table> parse_toml(std::string_view text, std::string_view origin) {
  if (const auto trap = toml_plus_plus_trap(text)) {
    return make_error(std::string(origin) + " line " + std::to_string(trap->line) + ": " +
                      toml_trap_advice(*trap) + "; configure cannot edit this file");
  }
  try {
    return toml::parse(text, std::string(origin));
  } catch (const toml::parse_error& error) {
    return make_error(std::string(origin) + " line " + std::to_string(error.source().begin.line) + ": " +
                      std::string(error.description()) +
                      "; fix the file (containerd would not start with it) and run configure again");
  }
}

// The text without the handler's marked block; refused when a BEGIN has
// no END.
Expected<std::string> without_block(std::string_view text, std::string_view origin, std::string_view handler,
                                    std::optional<BlockSpan>* span) {
  std::size_t broken = 0;
  *span = find_marked_block(text, handler, &broken);
  if (broken != 0) {
    return make_error(std::string(origin) + " line " + std::to_string(broken) +
                      ": the runc-isolcpus block has no END line; restore the file from its backup under "
                      "/var/backups/runc-isolcpus "
                      "backup or delete the block by hand");
  }
  return *span ? remove_marked_block(text, **span) : std::string(text);
}

std::string with_block(std::string_view text, const std::string& rest, const std::optional<BlockSpan>& span,
                       std::string_view handler, std::string_view body) {
  if (span && marked_block_body(text, *span) == body) {
    return std::string(text);
  }
  std::string appended = append_marked_block(rest, handler, body);
  if (!span) {
    return appended;
  }
  std::string updated(text.substr(0, span->begin));
  updated += std::string_view(appended).substr(rest.size());
  updated += text.substr(span->end);
  return updated;
}

Expected<std::string> checked_edit(std::string text, std::string_view origin) {
  if (auto parsed = parse_toml(text, origin); !parsed) {
    return make_error(
        "adding the handler to " + std::string(origin) + " would leave a file the runtime cannot read (" +
        parsed.error().message +
        "); an inline table (runtimes = { ... }) cannot take another table: write it as [ ] tables");
  }
  return text;
}

}  // namespace isolcpus
