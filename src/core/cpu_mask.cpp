#include "isolcpus/cpu_mask.hpp"

#include "isolcpus/text.hpp"

namespace isolcpus {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

Expected<CpuSet> parse_cpu_mask(std::string_view text) {
  text = trim(text);
  if (text.empty()) {
    return make_error("an empty CPU mask");
  }
  CpuSet cpus;
  unsigned bit = 0;
  for (auto it = text.rbegin(); it != text.rend(); ++it) {
    if (*it == ',') {
      continue;
    }
    const int v = hex_value(*it);
    if (v < 0) {
      return make_error("\"" + std::string(text) + "\" is not a hex CPU mask");
    }
    for (unsigned i = 0; i < 4; ++i, ++bit) {
      if ((v & (1 << i)) == 0) {
        continue;
      }
      if (bit >= CpuSet::kMaxCpus) {
        return make_error("\"" + std::string(text) + "\" names a CPU beyond " +
                          std::to_string(CpuSet::kMaxCpus));
      }
      cpus.insert(bit);
    }
  }
  return cpus;
}

std::string format_cpu_mask_like(std::string_view like, const CpuSet& cpus) {
  std::string out(trim(like));
  unsigned bit = 0;
  for (auto it = out.rbegin(); it != out.rend(); ++it) {
    if (*it == ',') {
      continue;
    }
    int v = 0;
    for (unsigned i = 0; i < 4; ++i, ++bit) {
      v |= cpus.contains(bit) ? (1 << i) : 0;
    }
    *it = "0123456789abcdef"[v];
  }
  return out;
}

}  // namespace isolcpus
