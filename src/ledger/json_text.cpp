#include "json_text.hpp"

#include <stdexcept>

#include "isolcpus/utf8.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kHexSuffix = "_hex";

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += kDigits[u >> 4];
    out += kDigits[u & 15];
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

std::string from_hex(std::string_view hex, std::string_view key) {
  if (hex.size() % 2 != 0) {
    throw std::runtime_error(std::string(key) + ": odd number of hex digits");
  }
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]);
    const int lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      throw std::runtime_error(std::string(key) + ": not lowercase hex");
    }
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

}  // namespace

void put_text(nlohmann::json& object, std::string_view key, const std::string& value) {
  const std::string k(key);
  if (is_utf8(value)) {
    object[k] = value;
    return;
  }
  object[k] = utf8_for_display(value);
  object[k + std::string(kHexSuffix)] = to_hex(value);
}

std::string get_text(const nlohmann::json& object, std::string_view key) {
  const std::string k(key);
  if (const auto it = object.find(k + std::string(kHexSuffix)); it != object.end()) {
    return from_hex(it->get_ref<const std::string&>(), key);
  }
  return object.at(k).get<std::string>();
}

}  // namespace isolcpus
