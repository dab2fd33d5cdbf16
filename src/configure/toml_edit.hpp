// The TOML side of `configure`, shared by the containerd and CRI-O edits.
// toml++ header-only and with exceptions, as config.cpp compiles it: its
// parser is inline, and one program must see one flavour of it.
#pragma once

#undef TOML_SHARED_LIB
#define TOML_SHARED_LIB 0
#undef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "isolcpus/expected.hpp"
#include "isolcpus/marked_block.hpp"

namespace isolcpus {

// A key as TOML spells it: bare when it can be, else double-quoted.
std::string toml_key(std::string_view key);

// A value as TOML text ('literal' strings where toml++ can).
std::string toml_text(const toml::node& node);

// Key-value pairs of a table (no sub-tables), in the file's order.
std::vector<std::pair<std::string, const toml::node*>> plain_keys(const toml::table& table);

// Strings of a TOML array (its non-strings skipped); empty when `node` is not one.
std::vector<std::string> string_array(const toml::node* node);

// `theirs` then each of `ours` not among them, as a TOML array.
std::string merged_string_array(const std::vector<std::string>& theirs, const std::vector<std::string>& ours);

// The document, or an error naming `origin`'s line and what to do.
Expected<toml::table> parse_toml(std::string_view text, std::string_view origin);

// `text` without the handler's marked block (`span` says where it was).
Expected<std::string> without_block(std::string_view text, std::string_view origin, std::string_view handler,
                                    std::optional<BlockSpan>* span);

// `text` with the handler's block holding `body`: `text` itself when the
// block already says that, else the block rewritten where it is (the rest
// of the file stays as it was) or appended.  `rest` and `span` are what
// without_block gave for `text`.
std::string with_block(std::string_view text, const std::string& rest, const std::optional<BlockSpan>& span,
                       std::string_view handler, std::string_view body);

// The edited text, if it still parses; else why not, naming the file and
// the way out (an inline table our table would redefine, most likely).
Expected<std::string> checked_edit(std::string text, std::string_view origin);

}  // namespace isolcpus
