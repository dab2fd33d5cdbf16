#include "isolcpus/wall_clock.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace isolcpus {
namespace {

TEST(WallClock, IsTheEpochSecondsTimeReads) {
  const auto before = static_cast<std::int64_t>(std::time(nullptr));
  const auto now = unix_seconds_now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, before + 1);
}

}  // namespace
}  // namespace isolcpus
