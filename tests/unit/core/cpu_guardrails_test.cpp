#include "isolcpus/cpu_guardrails.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace isolcpus {
namespace {

struct Case {
  const char* name;
  CpuSet cpus;
  CpuGuardrails guard;
  std::string expected;  // empty: allowed
};

CpuGuardrails node(CpuSet online, CpuSet boot, std::vector<CpuHolder> holders, unsigned min = 2) {
  return CpuGuardrails{
      .online = online, .boot_isolated = boot, .holders = std::move(holders), .min_housekeeping_cpus = min};
}

TEST(CpuGuardrails, OneRuleOneWording) {
  const CpuSet eight = CpuSet::range(0, 7);
  const std::vector<Case> cases = {
      {"free CPUs pass", CpuSet::of({2, 3}), node(eight, {}, {}), ""},
      {"offline CPUs are named with the online list", CpuSet::range(6, 9), node(eight, {}, {}),
       "CPUs 8-9 are not online (online: 0-7)"},
      {"nothing online reads none", CpuSet::of({1}), node({}, {}, {}),
       "CPUs 1 are not online (online: none)"},
      {"the first holder that overlaps is named, with all that is isolated", CpuSet::of({3, 4}),
       node(eight, CpuSet::of({7}), {{CpuSet::of({1}), "a"}, {CpuSet::of({4, 5}), "b"}}),
       "CPUs 4 are already isolated (by b; isolated now: 1,4-5,7)"},
      {"boot-isolated CPUs", CpuSet::of({2}), node(eight, CpuSet::of({2}), {}),
       "CPUs 2 are isolated at boot (isolcpus=): pin the container to other CPUs or drop them from "
       "isolcpus="},
      {"offline wins over held", CpuSet::of({9}), node(eight, {}, {{CpuSet::of({9}), "a"}}),
       "CPUs 9 are not online (online: 0-7)"},
      {"held wins over boot", CpuSet::of({2}), node(eight, CpuSet::of({2}), {{CpuSet::of({2}), "a"}}),
       "CPUs 2 are already isolated (by a; isolated now: 2)"},
      {"housekeeping excludes holders and boot", CpuSet::of({2}),
       node(CpuSet::range(0, 3), CpuSet::of({3}), {{CpuSet::of({1}), "a"}}),
       "isolating CPUs 2 would leave 1 housekeeping CPUs (0), fewer than min_housekeeping_cpus = 2"},
      {"no housekeeping left reads none", CpuSet::of({0, 1}), node(CpuSet::range(0, 1), {}, {}, 1),
       "isolating CPUs 0-1 would leave 0 housekeeping CPUs (none), fewer than min_housekeeping_cpus = 1"},
      {"exactly the minimum passes", CpuSet::of({2, 3}), node(CpuSet::range(0, 3), {}, {}, 2), ""},
      {"a minimum of 0 allows every online CPU", CpuSet::range(0, 3), node(CpuSet::range(0, 3), {}, {}, 0),
       ""},
  };
  for (const auto& c : cases) {
    const auto why = guardrail_violation(c.cpus, c.guard);
    EXPECT_EQ(why.value_or(""), c.expected) << c.name;
  }
}

}  // namespace
}  // namespace isolcpus
