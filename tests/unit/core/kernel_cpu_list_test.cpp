// parse_kernel_cpu_list: what the kernel's cpuset write accepts, row by row
// from bitmap_parselist's rules (lib/bitmap-str.c, Linux 6.1 and 6.12) and
// its own test table (lib/test_bitmap.c).
#include "isolcpus/kernel_cpu_list.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace isolcpus {
namespace {

struct Row {
  std::string name;
  std::string text;
  unsigned nbits;
  std::string cpus;  // CpuSet::to_string(), or "ERROR"
};
void PrintTo(const Row& r, std::ostream* os) { *os << r.name; }

class KernelCpuList : public ::testing::TestWithParam<Row> {};

TEST_P(KernelCpuList, ReadsAsTheKernelDoes) {
  const auto& row = GetParam();
  auto parsed = parse_kernel_cpu_list(row.text, row.nbits);
  if (row.cpus == "ERROR") {
    EXPECT_FALSE(parsed) << "accepted as " << parsed->to_string();
    return;
  }
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->to_string(), row.cpus);
}

INSTANTIATE_TEST_SUITE_P(
    Table, KernelCpuList,
    ::testing::Values(
        Row{"Single", "3", 8, "3"}, Row{"Range", "0-3", 8, "0-3"}, Row{"List", "0-1,4,6-7", 8, "0-1,4,6-7"},
        Row{"Unsorted", "6,1,3-4", 8, "1,3-4,6"}, Row{"LeadingZeros", "003-0005", 8, "3-5"},
        // Strides: range:used/group.
        Row{"StrideIssueExample", "0-7:2/4", 8, "0-1,4-5"}, Row{"StrideOneOfTwo", "0-7:1/2", 8, "0,2,4,6"},
        Row{"StrideUsedEqualsGroup", "0-7:4/4", 8, "0-7"}, Row{"StrideUsedZero", "0-7:0/4", 8, ""},
        Row{"StrideClippedAtEnd", "0-6:3/4", 8, "0-2,4-6"}, Row{"StrideBigGroup", "2-7:1/100", 8, "2"},
        Row{"StrideGroupWrapsAround", "1-5:1/4294967295", 8, "0-1"},  // 32-bit start += group
        Row{"StrideUsedBeyondGroup", "0-7:5/4", 8, "ERROR"}, Row{"StrideGroupZero", "0-7:0/0", 8, "ERROR"},
        Row{"StrideOnSingleCpu", "3:1/2", 8, "ERROR"}, Row{"StrideMissingSlash", "0-7:2", 8, "ERROR"},
        Row{"StrideMissingGroup", "0-7:2/", 8, "ERROR"},
        Row{"StrideThenNLastCpu", "0-3:1/2N", 8, "0,2,7"},  // the kernel reads "N" as the next region
        // "N" and "all".
        Row{"NIsTheLastCpu", "N", 8, "7"}, Row{"RangeToN", "4-N", 8, "4-7"},
        Row{"NInStride", "0-N:1/N", 8, "0,7"}, Row{"LowercaseNIsJunk", "4-n", 8, "ERROR"},
        Row{"All", "all", 8, "0-7"}, Row{"AllAnyCase", "AlL", 4, "0-3"},
        Row{"AllStride", "all:1/2", 8, "0,2,4,6"}, Row{"AllWithOthers", "0, 1, all,  ", 8, "0-7"},
        Row{"AllThenJunk", "allx", 8, "ERROR"}, Row{"AllAsRangeStartIsJunk", "all-3", 8, "ERROR"},
        // Separators and whitespace.
        Row{"SpaceSeparated", "1 3", 8, "1,3"}, Row{"TabSeparated", "1\t3", 8, "1,3"},
        Row{"ExtraCommas", ",,1,,3,", 8, "1,3"},
        Row{"NoBreakSpaceIsSpace",
            "1\xa0"
            "3",
            8, "1,3"},
        Row{"SurroundingBlanks", " \t 2-3 \n", 8, "2-3"}, Row{"SpacesInsideARange", "0 - 3", 8, "ERROR"},
        Row{"NewlineEndsTheList", "0\n3", 8, "0"}, Row{"NewlineAfterCommaIsSkipped", "0,\n3", 8, "0,3"},
        Row{"NulEndsTheText",
            std::string("1\0"
                        "5",
                        3),
            8, "1"},
        // Empty after stripping: the empty set (cgroup v2: the parent's CPUs).
        Row{"Empty", "", 8, ""}, Row{"Blank", "  \n", 8, ""}, Row{"OnlyCommas", ",,", 8, ""},
        // Errors.
        Row{"Reversed", "3-1", 8, "ERROR"}, Row{"BeyondPossible", "8", 8, "ERROR"},
        Row{"RangeBeyondPossible", "4-8", 8, "ERROR"}, Row{"LastPossible", "7", 8, "7"},
        Row{"Negative", "-1", 8, "ERROR"}, Row{"Plus", "+1", 8, "ERROR"}, Row{"Hex", "0x1", 8, "ERROR"},
        Row{"Overflow32", "4294967296", 8, "ERROR"}, Row{"Max32IsOnlyOutOfRange", "4294967295", 8, "ERROR"},
        Row{"TrailingDash", "2-", 8, "ERROR"}, Row{"Junk", "two", 8, "ERROR"},
        Row{"NonAsciiSeparator",
            "1\xc2\xa0"
            "3",
            8, "ERROR"},
        Row{"ZeroPossibleMeansTheMax", "8191", 0, "8191"}),
    [](const auto& row) { return row.param.name; });

}  // namespace
}  // namespace isolcpus
