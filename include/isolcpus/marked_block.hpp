// The one region of a runtime's config file that `runc-isolcpus-ctl
// configure` owns: appended at the end between BEGIN and END comment lines
// that name the handler, so that `unconfigure` can take back exactly the
// bytes it added and nothing else.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace isolcpus {

struct BlockSpan {
  std::size_t begin = 0;  // first byte the block added (its separator included)
  std::size_t end = 0;    // one past its END line
};

// Where the block for `handler` is; nullopt when the text has none.  A BEGIN
// without its END is nullopt too, with `broken` set to the BEGIN's line.
std::optional<BlockSpan> find_marked_block(std::string_view text, std::string_view handler,
                                           std::size_t* broken_line = nullptr);

// `text` with `body` (whole lines) appended as the block for `handler`; a
// blank line separates it from what was there, and a missing final newline
// is added and remembered in the BEGIN line.
std::string append_marked_block(std::string_view text, std::string_view handler, std::string_view body);

// `text` with the block at `span` taken out, byte for byte what it was
// before append_marked_block.
std::string remove_marked_block(std::string_view text, const BlockSpan& span);

// The body lines of the block at `span`, without its markers.
std::string marked_block_body(std::string_view text, const BlockSpan& span);

}  // namespace isolcpus
