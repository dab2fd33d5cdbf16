// UTF-8 checks for text that comes from argv and the kernel, which are
// bytes: a --root, a bundle path or a cgroup name need not be UTF-8, while
// JSON and TOML must be.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace isolcpus {

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF; what Go's
// utf8.DecodeRune accepts), 0 when there is none.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

bool is_utf8(std::string_view s);

// For display: each byte that starts no well-formed sequence becomes
// U+FFFD, as Go's json.Marshal writes it.  Lossy; never for storage.
std::string utf8_for_display(std::string_view s);

}  // namespace isolcpus
