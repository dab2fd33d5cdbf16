#include "isolcpus/failure_policy.hpp"

#include <gtest/gtest.h>

namespace isolcpus {
namespace {

TEST(FailurePolicy, FailStopsWithTheReasonAndWarnGoesOnSayingSo) {
  struct Case {
    const char* name;
    OnFailure on_failure;
    FailureWording wording;
    FailureResponse expected;
  };
  const FailureWording hook{.going_on = "starting it with load balancing on"};
  const FailureWording update{.going_on = "it runs balanced", .stopping = "it keeps its claim"};
  const Case cases[] = {
      {"fail, default wording", OnFailure::kFail, {}, {true, "no cgroup", ""}},
      {"warn, default wording",
       OnFailure::kWarn,
       {},
       {false, "no cgroup (on_failure = \"warn\": continuing without isolation)",
        "no cgroup (continuing without isolation)"}},
      {"fail, the hook", OnFailure::kFail, hook, {true, "no cgroup", ""}},
      {"warn, the hook",
       OnFailure::kWarn,
       hook,
       {false, "no cgroup (on_failure = \"warn\": starting it with load balancing on)",
        "no cgroup (starting it with load balancing on)"}},
      {"fail says what stopping leaves",
       OnFailure::kFail,
       update,
       {true, "no cgroup; it keeps its claim", ""}},
      {"warn ignores what stopping would leave",
       OnFailure::kWarn,
       update,
       {false, "no cgroup (on_failure = \"warn\": it runs balanced)", "no cgroup (it runs balanced)"}},
  };
  for (const auto& c : cases) {
    const FailureResponse r = failure_response(c.on_failure, "no cgroup", c.wording);
    EXPECT_EQ(r.stop, c.expected.stop) << c.name;
    EXPECT_EQ(r.message, c.expected.message) << c.name;
    EXPECT_EQ(r.caller_note, c.expected.caller_note) << c.name;
  }
}

}  // namespace
}  // namespace isolcpus
