// The one loop that reads an input to its end with a ceiling: config.json,
// runc's state.json, `update -r` files and stdin all go through it, so a
// huge or endless input is cut off the same way everywhere.
#pragma once

#include <cstddef>
#include <string>

namespace isolcpus {

struct ReadToEnd {
  enum class End { eof, too_large, failed };
  std::string bytes;
  End end = End::eof;
  int err = 0;  // errno when end == failed
};

// Reads fd until EOF (EINTR retried).  Stops with too_large as soon as more
// than cap bytes arrived; never blocks longer than the fd itself does.
ReadToEnd read_to_end(int fd, std::size_t cap);

}  // namespace isolcpus
