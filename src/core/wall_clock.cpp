#include "isolcpus/wall_clock.hpp"

#include <chrono>

namespace isolcpus {

std::int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace isolcpus
