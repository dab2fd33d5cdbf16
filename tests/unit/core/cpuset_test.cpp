#include "isolcpus/cpuset.hpp"

#include <gtest/gtest.h>

namespace isolcpus {
namespace {

struct ParseCase {
  const char* text;
  bool ok;
  const char* canonical;  // when ok
  std::size_t count;
  const char* error_part;  // when !ok
};

class CpuSetParse : public ::testing::TestWithParam<ParseCase> {};

TEST_P(CpuSetParse, ParsesKernelListFormat) {
  const auto& c = GetParam();
  auto set = CpuSet::parse(c.text);
  ASSERT_EQ(set.has_value(), c.ok) << "input: \"" << c.text << "\"";
  if (c.ok) {
    EXPECT_EQ(set->to_string(), c.canonical);
    EXPECT_EQ(set->count(), c.count);
    auto again = CpuSet::parse(set->to_string());
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *set) << "round trip";
  } else {
    EXPECT_NE(set.error().message.find(c.error_part), std::string::npos) << set.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, CpuSetParse,
    ::testing::Values(ParseCase{"", true, "", 0, ""}, ParseCase{"\n", true, "", 0, ""},
                      ParseCase{"  \n", true, "", 0, ""}, ParseCase{"3", true, "3", 1, ""},
                      ParseCase{"0-3\n", true, "0-3", 4, ""}, ParseCase{"0-3,8\n", true, "0-3,8", 5, ""},
                      ParseCase{"8,0-3", true, "0-3,8", 5, ""}, ParseCase{"1,2,3", true, "1-3", 3, ""},
                      ParseCase{"0-1,1-2", true, "0-2", 3, ""}, ParseCase{" 2 , 4 ", true, "2,4", 2, ""},
                      ParseCase{"63-65", true, "63-65", 3, ""}, ParseCase{"5-5", true, "5", 1, ""},
                      ParseCase{"8191", true, "8191", 1, ""}, ParseCase{"0-8191", true, "0-8191", 8192, ""},
                      ParseCase{"8192", false, "", 0, "beyond the kernel's limit"},
                      ParseCase{"99999999999999999999", false, "", 0, "beyond the kernel's limit"},
                      ParseCase{"3-1", false, "", 0, "runs backwards"},
                      ParseCase{"a", false, "", 0, "is not a CPU number"},
                      ParseCase{"1,,2", false, "", 0, "an empty item"},
                      ParseCase{"1-", false, "", 0, "has no last CPU"},
                      ParseCase{"-1", false, "", 0, "has no first CPU"},
                      ParseCase{"1-2-3", false, "", 0, "is not a CPU number"},
                      ParseCase{"0x3", false, "", 0, "is not a CPU number"},
                      ParseCase{"1,", false, "", 0, "an empty item"}));

TEST(CpuSet, SetOperations) {
  const auto a = CpuSet::range(0, 3);
  const auto b = CpuSet::of({2, 3, 4, 100});
  EXPECT_EQ((a | b).to_string(), "0-4,100");
  EXPECT_EQ((a & b).to_string(), "2-3");
  EXPECT_EQ((a - b).to_string(), "0-1");
  EXPECT_EQ((b - a).to_string(), "4,100");
  EXPECT_TRUE(a.intersects(b));
  EXPECT_FALSE(a.intersects(CpuSet::of({100})));
  EXPECT_TRUE(a.contains(CpuSet::of({1, 2})));
  EXPECT_FALSE(a.contains(b));
  EXPECT_TRUE(a.contains(CpuSet{}));
  EXPECT_TRUE(CpuSet{}.empty());
}

TEST(CpuSet, EqualityIgnoresHowTheSetWasBuilt) {
  auto grown = CpuSet::of({1, 200});
  grown.erase(200);
  EXPECT_EQ(grown, CpuSet::of({1}));
  EXPECT_EQ((CpuSet::of({500}) - CpuSet::of({500})), CpuSet{});
  EXPECT_TRUE((CpuSet::of({500}) & CpuSet::of({1})).empty());
}

TEST(CpuSet, InsertEraseContains) {
  CpuSet s;
  s.insert(64);
  s.insert(0);
  EXPECT_TRUE(s.contains(64u));
  EXPECT_FALSE(s.contains(63u));
  EXPECT_EQ(s.cpus(), (std::vector<unsigned>{0, 64}));
  s.erase(64);
  EXPECT_EQ(s.to_string(), "0");
  s.insert(CpuSet::kMaxCpus);  // ignored: not a CPU
  EXPECT_EQ(s.count(), 1u);
}

}  // namespace
}  // namespace isolcpus
