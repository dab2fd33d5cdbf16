// A hostile or mistyped config.toml (issue 10's bad-input table): the exact
// problem for each, naming the file, the line, the key and the fix, and no
// crash, UB or hang.  Any problem means the file's policy is not applied.
#include <gtest/gtest.h>

#include <string>

#include "isolcpus/config.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kFile = "/etc/runc-isolcpus/config.toml";

struct BadCase {
  std::string name;
  std::string toml;
  std::string problem;  // exact, the only one
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class HostileConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(HostileConfig, HasExactlyThisProblem) {
  const ConfigLoad load = parse_config(GetParam().toml, kFile);
  ASSERT_EQ(load.problems.size(), 1U) << (load.problems.empty() ? "no problem" : load.problems[1]);
  EXPECT_EQ(load.problems[0], GetParam().problem);
  EXPECT_EQ(load.config.mode, Mode::kAnnotation) << "a file with a problem is not applied";
}

constexpr std::string_view kCpuFix = "; write it like \"2-7\" or \"2,4-6\"";

std::string trap(int line, int column, std::string_view hex) {
  return std::string(kFile) + ":" + std::to_string(line) + ":" + std::to_string(column) + ": U+" +
         std::string(hex) + " cannot be read here (a bug in toml++ 3.3.0); inside a string write it as \\u" +
         std::string(hex) + ", anywhere else only on a comment line";
}

INSTANTIATE_TEST_SUITE_P(
    Table, HostileConfig,
    ::testing::Values(
        BadCase{"CpusUint32Max", "mode = \"always\"\nisolatable_cpus = \"0-4294967295\"\n",
                std::string(kFile) +
                    ":2: key 'isolatable_cpus': \"0-4294967295\" is not a CPU list (invalid CPU list "
                    "\"0-4294967295\": CPU 4294967295 is beyond the kernel's limit of 8192 CPUs)" +
                    std::string(kCpuFix)},
        BadCase{
            "CpusNegative", "isolatable_cpus = \"-3\"\n",
            std::string(kFile) +
                ":1: key 'isolatable_cpus': \"-3\" is not a CPU list (invalid CPU list \"-3\": range \"-3\" "
                "has no first CPU (CPU numbers are never negative))" +
                std::string(kCpuFix)},
        BadCase{"HugeInteger", "log_max_bytes = 99999999999999999999\n",
                std::string(kFile) + ":1:37: TOML syntax error: Error while parsing decimal integer: "
                                     "'99999999999999999999' is not "
                                     "representable in 64 bits"},
        BadCase{"DeepArrays", "allowed_namespaces = " + std::string(10'000, '[') + std::string(10'000, ']'),
                std::string(kFile) + ":1:278: TOML syntax error: Error while parsing value: exceeded maximum "
                                     "nested value depth of "
                                     "256 (TOML_MAX_NESTED_VALUES)"},
        BadCase{"InvalidUtf8", "mode = \"\xff\"\n",
                std::string(kFile) + ":1:8: TOML syntax error: Encountered invalid utf-8 sequence"},
        // Found by the config fuzzer: toml++ 3.3.0 reaches
        // __builtin_unreachable() (undefined behaviour) when it asks whether
        // one of these characters is whitespace.
        BadCase{"TrapInAKey", "caf\xc3\xa9 = 1\n", trap(1, 4, "00E9")},
        BadCase{"TrapAtTheStart", "\xef\xaf\xbb$v", trap(1, 1, "FBFB")},
        BadCase{"TrapAfterAValue", "mode = \"never\" \xc3\xa9\n", trap(1, 16, "00E9")},
        BadCase{"TrapInAMalformedValue", "mode =2\"alwa\xef\xb3\xbf\"\n", trap(1, 13, "FCFF")},
        BadCase{"TrapInAString", "# fine\nlog_file = \"/var/log/\xc3\xa9.log\"\n", trap(2, 22, "00E9")},
        BadCase{"TrapInATrailingComment", "mode = \"never\" # caf\xc3\xa9\n", trap(1, 21, "00E9")},
        BadCase{"TrapAfterALineEndingBackslash", "log_file = \"\"\"/x\\\n\xe3\x81\x82\"\"\"\n",
                trap(2, 1, "3042")}),
    [](const auto& row) { return row.param.name; });

TEST(HostileConfig, NonAsciiOnCommentLinesEscapedOrOutsideTheTrapIsFine) {
  const ConfigLoad load = parse_config(
      "\xEF\xBB\xBF# caf\xc3\xa9 \xef\xba\xbf\n  # \xe3\x81\x82\nlog_file = \"/var/log/caf\\u00e9 "
      "\xe2\x82\xac \xf0\x9f\x98\x80\"\n"
      "mode = \"never\" # \xe2\x82\xac\n",
      kFile);
  EXPECT_TRUE(load.problems.empty()) << load.problems[0];
  EXPECT_EQ(load.config.log_file, "/var/log/caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(load.config.mode, Mode::kNever);
}

// The runtime the pass-through path would exec is kept through a syntax
// error, so both paths exec the same runc.
TEST(HostileConfig, RuntimeSurvivesTheNonAsciiRefusal) {
  const ConfigLoad load = parse_config("runtime = \"/opt/runc\"\nmode = \xc3\xa9\n", kFile);
  ASSERT_EQ(load.problems.size(), 1U);
  EXPECT_EQ(load.config.runtime, "/opt/runc");
  EXPECT_EQ(scan_runtime_key("runtime = \"/opt/runc\"\nmode = \xc3\xa9\n").path, "/opt/runc");
}

}  // namespace
}  // namespace isolcpus
