#include "isolcpus/read_to_end.hpp"

#include <unistd.h>

#include <cerrno>

namespace isolcpus {

ReadToEnd read_to_end(int fd, std::size_t cap) {
  ReadToEnd out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      out.end = ReadToEnd::End::failed;
      out.err = errno;
      return out;
    }
    if (n == 0) {
      return out;
    }
    out.bytes.append(buf, static_cast<std::size_t>(n));
    if (out.bytes.size() > cap) {
      out.end = ReadToEnd::End::too_large;
      return out;
    }
  }
}

}  // namespace isolcpus
