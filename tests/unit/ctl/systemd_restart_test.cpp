// Whether a runtime runs an older config than its file: the decision over
// what systemd reports (service_facts), one row per unit state.
#include "../../../src/ctl/systemd_restart.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace isolcpus {
namespace {

ServiceFacts running_since(std::uint64_t realtime_usec) {
  ServiceFacts facts;
  facts.active = true;
  facts.active_enter_realtime_usec = realtime_usec;
  return facts;
}

TEST(StartedBefore, OneRowPerUnitState) {
  constexpr std::int64_t kFileChanged = 1'700'000'000'000'000;
  ServiceFacts stopped = running_since(1);
  stopped.active = false;
  struct Row {
    const char* what;
    std::optional<ServiceFacts> facts;
    bool stale;
  };
  const Row rows[] = {
      {"not loaded", std::nullopt, false},
      {"loaded, not running (an old start time is kept)", stopped, false},
      {"started before the file changed", running_since(kFileChanged - 1), true},
      {"started in the same microsecond", running_since(kFileChanged), false},
      {"started after the file changed", running_since(kFileChanged + 1'000'000), false},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(started_before(row.facts, kFileChanged), row.stale) << row.what;
  }
}

}  // namespace
}  // namespace isolcpus
