// A unified diff of two versions of a text file, for `configure --dry-run`.
#pragma once

#include <string>
#include <string_view>

namespace isolcpus {

// "" when equal.  One hunk around the lines that differ, with up to three
// lines of context: configure only ever adds, replaces or removes one block.
std::string unified_diff(std::string_view before, std::string_view after, std::string_view path);

}  // namespace isolcpus
