#include "isolcpus/line_diff.hpp"

#include <algorithm>
#include <vector>

namespace isolcpus {
namespace {

constexpr std::size_t kContext = 3;

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    lines.push_back(text.substr(0, eol == std::string_view::npos ? text.size() : eol + 1));
    text.remove_prefix(lines.back().size());
  }
  return lines;
}

std::string range(std::size_t first, std::size_t count) {
  // As diff -u: an empty range is numbered by the line before it, and a
  // range of one line has no count.
  if (count == 1) {
    return std::to_string(first + 1);
  }
  return std::to_string(count == 0 ? first : first + 1) + "," + std::to_string(count);
}

void add_line(std::string& out, char mark, std::string_view line) {
  out += mark;
  out += line;
  if (!line.ends_with('\n')) {
    out += "\n\\ No newline at end of file\n";
  }
}

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after, std::string_view path) {
  if (before == after) {
    return {};
  }
  const auto a = lines_of(before);
  const auto b = lines_of(after);
  std::size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) {
    ++prefix;
  }
  std::size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  const std::size_t start = prefix - std::min(prefix, kContext);
  const std::size_t tail = std::min(suffix, kContext);
  const std::size_t a_end = a.size() - suffix + tail;
  const std::size_t b_end = b.size() - suffix + tail;
  std::string out = "--- " + std::string(path) + "\n+++ " + std::string(path) + " (configured)\n";
  out += "@@ -" + range(start, a_end - start) + " +" + range(start, b_end - start) + " @@\n";
  for (std::size_t i = start; i < prefix; ++i) {
    add_line(out, ' ', a[i]);
  }
  for (std::size_t i = prefix; i < a.size() - suffix; ++i) {
    add_line(out, '-', a[i]);
  }
  for (std::size_t i = prefix; i < b.size() - suffix; ++i) {
    add_line(out, '+', b[i]);
  }
  for (std::size_t i = a.size() - suffix; i < a_end; ++i) {
    add_line(out, ' ', a[i]);
  }
  return out;
}

}  // namespace isolcpus
