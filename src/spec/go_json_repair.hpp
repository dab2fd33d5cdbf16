// Go's encoding/json takes, inside strings, bytes that are not UTF-8 and
// \u escapes of lone UTF-16 surrogates, and decodes each to U+FFFD;
// nlohmann::json rejects both.  A document runc reads must read the same
// here, or one stray byte in an unrelated key hides a cpus change.
#pragma once

#include <string>
#include <string_view>

namespace isolcpus {

// Rewrites exactly those spots the way Go decodes them (one U+FFFD per
// invalid byte, as utf8.DecodeRune steps; "\ufffd" for a lone surrogate
// escape) and leaves every other byte alone.
std::string go_json_repair(std::string_view text);

}  // namespace isolcpus
