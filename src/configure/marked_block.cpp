#include "isolcpus/marked_block.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kNoFinalNewline = " (the file had no final newline)";

std::string begin_line(std::string_view handler) {
  return "# BEGIN runc-isolcpus handler \"" + std::string(handler) +
         "\": written by `runc-isolcpus-ctl configure`, removed by `unconfigure`";
}

std::string end_line(std::string_view handler) {
  return "# END runc-isolcpus handler \"" + std::string(handler) + "\"";
}

// The offset of the line equal to `line` (or `line` + `suffix`) at or after `from`.
std::optional<std::size_t> find_line(std::string_view text, std::string_view line, std::size_t from,
                                     std::string_view suffix, bool* with_suffix) {
  for (std::size_t at = from; at < text.size();) {
    const std::size_t eol = text.find('\n', at);
    const std::string_view here =
        text.substr(at, eol == std::string_view::npos ? text.size() - at : eol - at);
    if (here.starts_with(line)) {
      const std::string_view rest = here.substr(line.size());
      if (rest.empty() || (!suffix.empty() && rest == suffix)) {
        if (with_suffix != nullptr) {
          *with_suffix = !rest.empty();
        }
        return at;
      }
    }
    if (eol == std::string_view::npos) {
      break;
    }
    at = eol + 1;
  }
  return std::nullopt;
}

std::size_t line_number(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    line += text[i] == '\n' ? 1 : 0;
  }
  return line;
}

}  // namespace

std::optional<BlockSpan> find_marked_block(std::string_view text, std::string_view handler,
                                           std::size_t* broken_line) {
  bool no_final_newline = false;
  const auto begin = find_line(text, begin_line(handler), 0, kNoFinalNewline, &no_final_newline);
  if (!begin) {
    return std::nullopt;
  }
  const auto end = find_line(text, end_line(handler), *begin, {}, nullptr);
  if (!end) {
    if (broken_line != nullptr) {
      *broken_line = line_number(text, *begin);
    }
    return std::nullopt;
  }
  BlockSpan span;
  const std::size_t eol = text.find('\n', *end);
  span.end = eol == std::string_view::npos ? text.size() : eol + 1;
  // The blank line before it, and the newline it added to the last line.
  span.begin = *begin;
  if (span.begin >= 2 && text.substr(span.begin - 2, 2) == "\n\n") {
    span.begin -= 1;
    if (no_final_newline) {
      span.begin -= 1;
    }
  }
  return span;
}

std::string append_marked_block(std::string_view text, std::string_view handler, std::string_view body) {
  std::string out(text);
  std::string begin = begin_line(handler);
  if (!out.empty() && !out.ends_with('\n')) {
    out += '\n';
    begin += kNoFinalNewline;
  }
  if (!out.empty()) {
    out += '\n';
  }
  out += begin + "\n";
  out += body;
  if (!body.empty() && !body.ends_with('\n')) {
    out += '\n';
  }
  out += end_line(handler) + "\n";
  return out;
}

std::string remove_marked_block(std::string_view text, const BlockSpan& span) {
  std::string out(text.substr(0, span.begin));
  out += text.substr(span.end);
  return out;
}

std::string marked_block_body(std::string_view text, const BlockSpan& span) {
  const std::string_view block = text.substr(span.begin, span.end - span.begin);
  const std::size_t begin = block.find("# BEGIN runc-isolcpus");
  const std::size_t first = block.find('\n', begin) + 1;
  const std::size_t last = block.rfind("# END runc-isolcpus");
  return std::string(block.substr(first, last - first));
}

}  // namespace isolcpus
