// `runc update -r` documents read as runc's json.NewDecoder(f).Decode(&r)
// reads them, then the cpus as the kernel does.  Each row: the document,
// and what the container's cpus become: unchanged, runc fails (also
// unchanged), or a set ("(empty)": a blank list, the parent's CPUs on v2).
#include "isolcpus/update_resources.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace isolcpus {
namespace {

constexpr const char* kUnchanged = "unchanged";
constexpr const char* kFails = "runc fails";

struct Row {
  std::string name;
  std::string json;
  std::string outcome;
};
void PrintTo(const Row& r, std::ostream* os) { *os << r.name; }

std::string outcome_of(std::string_view json) {
  auto cpus = parse_update_cpus(json, "stdin", 8);
  if (!cpus) {
    return kFails;
  }
  if (!*cpus) {
    return kUnchanged;
  }
  return (*cpus)->empty() ? "(empty)" : (*cpus)->to_string();
}

class UpdateDocument : public ::testing::TestWithParam<Row> {};

TEST_P(UpdateDocument, ReadsAsRuncDoes) { EXPECT_EQ(outcome_of(GetParam().json), GetParam().outcome); }

INSTANTIATE_TEST_SUITE_P(
    Plain, UpdateDocument,
    ::testing::Values(
        Row{"ContainerdShaped",
            R"({"memory": {"limit": 536870912, "swap": 536870912}, "cpu": {"shares": 2048, "quota": 200000,
                "period": 100000, "cpus": "2-3", "mems": "0"}, "pids": {"limit": 0}})",
            "2-3"},
        Row{"OnlyCpus", R"({"cpu": {"cpus": "5"}})", "5"},
        Row{"EmptyCpusIsUnchanged", R"({"cpu": {"cpus": "", "shares": 1024}})", kUnchanged},
        Row{"NoCpus", R"({"cpu": {"quota": 50000}})", kUnchanged},
        Row{"NoCpuSection", R"({"memory": {"limit": 1}})", kUnchanged},
        Row{"EmptyDocument", "{}", kUnchanged}, Row{"TopLevelNullDecodesToNothing", "null", kUnchanged},
        Row{"BlankCpusUnpins", R"({"cpu": {"cpus": " "}})", "(empty)"}),
    [](const auto& row) { return row.param.name; });

// Go's json.Decoder reads the first value and never looks further.
INSTANTIATE_TEST_SUITE_P(
    FirstValueOnly, UpdateDocument,
    ::testing::Values(Row{"TrailingGarbage", "{\"cpu\": {\"cpus\": \"4-5\"}}garbage", "4-5"},
                      Row{"SecondDocumentIgnored",
                          "{\"cpu\": {\"cpus\": \"4\"}}\n{\"cpu\": {\"cpus\": \"5\"}}", "4"},
                      Row{"TrailingBadUtf8", "{\"cpu\": {\"cpus\": \"4\"}}\xff\xfe", "4"},
                      Row{"LeadingWhitespace", " \n\t{\"cpu\": {\"cpus\": \"6\"}}", "6"},
                      Row{"Truncated", R"({"cpu": {"cpus": "4-5")", kFails}, Row{"Empty", "", kFails},
                      Row{"OnlyWhitespace", " \n", kFails}, Row{"NotJson", "cpus=2", kFails},
                      Row{"ByteOrderMark", "\xEF\xBB\xBF{\"cpu\": {\"cpus\": \"4\"}}", kFails}),
    [](const auto& row) { return row.param.name; });

// encoding/json matches keys to fields case-insensitively (simple folding).
INSTANTIATE_TEST_SUITE_P(
    KeyFolding, UpdateDocument,
    ::testing::Values(Row{"IssueExample", R"({"CPU": {"Cpus": "4-5"}})", "4-5"},
                      Row{"AllCaps", R"({"CPU": {"CPUS": "1"}})", "1"},
                      Row{"Mixed", R"({"cPu": {"cpuS": "1"}})", "1"},
                      Row{"LongS", "{\"cpu\": {\"cpu\xC5\xBF\": \"3\"}}", "3"},  // U+017F folds to s
                      Row{"EscapedKey", R"({"\u0063pu": {"cpu\u0073": "2"}})", "2"},
                      Row{"OtherNonAsciiIsNotAKey", "{\"cpu\": {\"cpu\xC3\x9F\": \"3\"}}", kUnchanged},
                      Row{"PrefixIsNotAKey", R"({"cpux": {"cpus": "3"}, "cp": {"cpus": "4"}})", kUnchanged}),
    [](const auto& row) { return row.param.name; });

// Duplicates decode in order into the same struct: the last value wins, a
// later object merges into the earlier one, null empties the pointer.
INSTANTIATE_TEST_SUITE_P(
    Duplicates, UpdateDocument,
    ::testing::Values(Row{"LastCpusWins", R"({"cpu": {"cpus": "1", "cpus": "2"}})", "2"},
                      Row{"FoldedDuplicateWins", R"({"cpu": {"cpus": "1"}, "CPU": {"Cpus": "2"}})", "2"},
                      Row{"LaterObjectMerges", R"({"cpu": {"cpus": "1"}, "Cpu": {"mems": "0"}})", "1"},
                      Row{"NullCpusChangesNothing", R"({"cpu": {"cpus": "3", "cpus": null}})", "3"},
                      Row{"NullCpuThenObjectStartsAfresh",
                          R"({"cpu": {"cpus": "1"}, "cpu": null, "cpu": {}})", kUnchanged},
                      Row{"NullCpuAtTheEndPanicsRunc", R"({"cpu": {"cpus": "1"}, "cpu": null})", kFails}),
    [](const auto& row) { return row.param.name; });

// What Go accepts and nlohmann would not: it must not hide a change.
INSTANTIATE_TEST_SUITE_P(
    GoStrings, UpdateDocument,
    ::testing::Values(Row{"BadUtf8ElsewhereIsFine", "{\"x\xff\": \"\xfe\", \"cpu\": {\"cpus\": \"4\"}}", "4"},
                      Row{"LoneSurrogateElsewhereIsFine", R"({"x": "\ud800", "cpu": {"cpus": "4"}})", "4"},
                      Row{"LowSurrogateAloneIsFine", R"({"x": "\udc00\u0041", "cpu": {"cpus": "4"}})", "4"},
                      Row{"SurrogatePairIsKept", R"({"x\ud83d\ude00": 1, "cpu": {"cpus": "4"}})", "4"},
                      Row{"EscapedCpus", R"({"cpu": {"cpus": "\u0034-\u0035"}})", "4-5"},
                      Row{"EscapedQuoteInKey", R"({"\"cpu": {"cpus": "4"}})", kUnchanged},
                      Row{"BadUtf8InCpusFailsInTheKernel", "{\"cpu\": {\"cpus\": \"4\xff\"}}", kFails},
                      Row{"RawControlCharFails", "{\"cpu\": {\"cpus\": \"4\x01\"}}", kFails}),
    [](const auto& row) { return row.param.name; });

// Type errors on the way to cpus fail runc; the kernel's list syntax holds.
INSTANTIATE_TEST_SUITE_P(TypesAndLists, UpdateDocument,
                         ::testing::Values(Row{"CpuString", R"({"cpu": "2"})", kFails},
                                           Row{"CpuArray", R"({"cpu": [1]})", kFails},
                                           Row{"CpusNumber", R"({"cpu": {"cpus": 2}})", kFails},
                                           Row{"CpusObject", R"({"cpu": {"cpus": {}}})", kFails},
                                           Row{"TopLevelArray", "[]", kFails},
                                           Row{"TopLevelString", R"("x")", kFails},
                                           Row{"OtherTypesAreRuncsBusiness",
                                               R"({"cpu": {"cpus": "1", "shares": "x"}, "pids": 3})", "1"},
                                           Row{"Stride", R"({"cpu": {"cpus": "0-7:2/4"}})", "0-1,4-5"},
                                           Row{"AllCpus", R"({"cpu": {"cpus": "all"}})", "0-7"},
                                           Row{"LastCpu", R"({"cpu": {"cpus": "N"}})", "7"},
                                           Row{"SpaceSeparated", R"({"cpu": {"cpus": "1 3"}})", "1,3"},
                                           Row{"KernelRejects", R"({"cpu": {"cpus": "2-"}})", kFails},
                                           Row{"BeyondPossible", R"({"cpu": {"cpus": "8"}})", kFails}),
                         [](const auto& row) { return row.param.name; });

TEST(UpdateDocument, DeepNestingBeyondGosLimitFailsRunc) {
  const std::string deep =
      "{\"x\": " + std::string(10000, '[') + std::string(10000, ']') + ", \"cpu\": {\"cpus\": \"1\"}}";
  EXPECT_EQ(outcome_of(deep), kFails);
  const std::string ok =
      "{\"x\": " + std::string(9998, '[') + std::string(9998, ']') + ", \"cpu\": {\"cpus\": \"1\"}}";
  EXPECT_EQ(outcome_of(ok), "1");
}

TEST(UpdateDocument, ErrorsNameTheOrigin) {
  auto cpus = parse_update_cpus(R"({"cpu": {"cpus": 2}})", "x.json", 8);
  ASSERT_FALSE(cpus);
  EXPECT_EQ(cpus.error().message.rfind("x.json: cpu.cpus: ", 0), 0U) << cpus.error().message;
  cpus = parse_update_cpus(R"({"cpu": {"cpus": "2-"}})", "x.json", 8);
  ASSERT_FALSE(cpus);
  EXPECT_EQ(cpus.error().message.rfind("x.json: cpu.cpus: the kernel rejects", 0), 0U)
      << cpus.error().message;
}

TEST(UpdateFlag, EmptyIsNotSetAndTheRestIsTheKernels) {
  EXPECT_FALSE(*parse_update_cpus_flag("", 8));
  EXPECT_EQ(parse_update_cpus_flag(" ", 8)->value(), CpuSet{});
  EXPECT_EQ(parse_update_cpus_flag("0-7:1/4", 8)->value(), CpuSet::of({0, 4}));
  EXPECT_FALSE(parse_update_cpus_flag("9", 8));
}

}  // namespace
}  // namespace isolcpus
