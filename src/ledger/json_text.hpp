// Text fields of the ledger hold bytes from argv and the kernel (a --root,
// a bundle path, a cgroup name), which need not be UTF-8, while JSON must
// be.  The encoding, chosen so older versions still read every document:
//
//   valid UTF-8   "key": "value"                 exactly as before
//   other bytes   "key": "<value, U+FFFD for each bad byte>",
//                 "key_hex": "<every byte, lowercase hex>"
//
// This version reads key_hex when present (lossless); an older one ignores
// the unknown key and reads the display form, which is valid JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace isolcpus {

void put_text(nlohmann::json& object, std::string_view key, const std::string& value);

// Throws (as nlohmann's at() does) when the key is missing or the hex is bad:
// the ledger parser turns that into "corrupt ledger".
std::string get_text(const nlohmann::json& object, std::string_view key);

}  // namespace isolcpus
