#include "isolcpus/cpu_mask.hpp"

#include <gtest/gtest.h>

namespace isolcpus {
namespace {

TEST(CpuMask, ParsesTheKernelsLayouts) {
  EXPECT_EQ(*parse_cpu_mask("f\n"), CpuSet::range(0, 3));
  EXPECT_EQ(*parse_cpu_mask("00000000,00000104"), CpuSet::of({2, 8}));
  EXPECT_EQ(*parse_cpu_mask("1,00000000"), CpuSet::of({32}));
  EXPECT_EQ(*parse_cpu_mask("A"), CpuSet::of({1, 3}));
  EXPECT_TRUE(parse_cpu_mask("0")->empty());
  for (const char* bad : {"", "  ", "g", "0x3", "-1"}) {
    EXPECT_FALSE(parse_cpu_mask(bad)) << bad;
  }
  EXPECT_FALSE(parse_cpu_mask("1" + std::string(CpuSet::kMaxCpus / 4, '0')));
}

TEST(CpuMask, FormatsInTheLayoutGivenDroppingWhatDoesNotFit) {
  EXPECT_EQ(format_cpu_mask_like("f", CpuSet::of({0, 1})), "3");
  EXPECT_EQ(format_cpu_mask_like("ff,ffffffff\n", CpuSet::of({0, 33})), "02,00000001");
  EXPECT_EQ(format_cpu_mask_like("f", CpuSet::of({0, 9})), "1");
  for (const char* like : {"f", "00000000,0000000f", "fff,ffffffff"}) {
    const CpuSet cpus = CpuSet::of({1, 2});
    EXPECT_EQ(*parse_cpu_mask(format_cpu_mask_like(like, cpus)), cpus) << like;
  }
}

}  // namespace
}  // namespace isolcpus
