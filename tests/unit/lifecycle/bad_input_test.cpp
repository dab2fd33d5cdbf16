// What runc and /proc say about a container, when it is not what runc and
// the kernel write (issue 10's bad-input table): runc's state.json (its
// labels are the container owner's; a crash can truncate it) and
// /proc/PID/cgroup (its paths are cgroup names a container may choose).
#include <gtest/gtest.h>

#include <string>

#include "fakes/temp_dir.hpp"
#include "lifecycle/runc_state.hpp"

namespace isolcpus {
namespace {

struct BadCase {
  std::string name;
  std::string json;
  std::string message;  // exact, for origin "state.json"
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class HostileRuncState : public ::testing::TestWithParam<BadCase> {};

TEST_P(HostileRuncState, IsRefusedByFileAndKey) {
  const auto state = parse_runc_state(GetParam().json, "state.json");
  ASSERT_FALSE(state.has_value()) << state->init_pid;
  EXPECT_EQ(state.error().message, GetParam().message);
}

constexpr std::string_view kStart = R"(, "init_process_start": 7})";

INSTANTIATE_TEST_SUITE_P(
    Table, HostileRuncState,
    ::testing::Values(
        BadCase{
            "Truncated", R"({"init_process_pid": 4)",
            "state.json: invalid JSON: parse error at line 1, column 23: syntax error while parsing object - "
            "unexpected end of input; expected '}'"},
        BadCase{"NotAnObject", "[1]",
                "state.json: (top level): expected an object (is this runc's state.json?)"},
        BadCase{"NoPid", R"({"init_process_start": 7})",
                "state.json: init_process_pid: expected a process ID (is this runc's state.json?)"},
        // Found by the runc_state fuzzer: a float converted to int with a
        // plain cast, undefined behaviour (UBSan: float-cast-overflow).
        BadCase{"PidHugeFloat", R"({"init_process_pid": 1.1e122)" + std::string(kStart),
                "state.json: init_process_pid: expected a process ID (is this runc's state.json?)"},
        BadCase{"PidBeyondInt", R"({"init_process_pid": 2147483648)" + std::string(kStart),
                "state.json: init_process_pid: expected a process ID (is this runc's state.json?)"},
        BadCase{"PidString", R"({"init_process_pid": "42")" + std::string(kStart),
                "state.json: init_process_pid: expected a process ID (is this runc's state.json?)"},
        BadCase{
            "StartNegative", R"({"init_process_pid": 42, "init_process_start": -1})",
            "state.json: init_process_start: expected a non-negative integer (clock ticks) (is this runc's "
            "state.json?)"}),
    [](const auto& row) { return row.param.name; });

TEST(HostileRuncState, OddLabelsAreIgnored) {
  const auto state = parse_runc_state(
      R"({"init_process_pid": 42, "init_process_start": 7, "config": {"labels": [1, null, "bundle=/b", {}]}})",
      "state.json");
  ASSERT_TRUE(state.has_value()) << state.error().message;
  EXPECT_EQ(state->bundle, "/b");
  const auto no_labels =
      parse_runc_state(R"({"init_process_pid": 42, "init_process_start": 7, "config": "x"})", "state.json");
  ASSERT_TRUE(no_labels.has_value()) << no_labels.error().message;
  EXPECT_EQ(no_labels->bundle, "");
}

TEST(HostileRuncState, ReadNamesThePath) {
  TempDir tmp;
  tmp.write_file("root/c1/state.json", R"({"init_process_pid": 1e300, "init_process_start": 7})");
  const auto state = read_runc_state(tmp / "root", "c1");
  ASSERT_FALSE(state.has_value());
  EXPECT_EQ(state.error().message,
            "cannot read runtime state " + (tmp / "root/c1/state.json").string() +
                ": init_process_pid: expected a process ID (is this runc's state.json?)");
}

TEST(HostileProcCgroup, OddLinesAreSkippedAndPathsKeptWhole) {
  const std::string text =
      "garbage\n:::\n12:cpu,cpuacct:/a\n11:cpuset:/kube:pods/with space/c1\n0::/x:y\n0:cpuset:/v1-looking\n";
  EXPECT_EQ(parse_proc_cgroup(text, CgroupMode::kV1), "/kube:pods/with space/c1");
  EXPECT_EQ(parse_proc_cgroup(text, CgroupMode::kV2), "/x:y");
  EXPECT_EQ(parse_proc_cgroup("5:cpuacct,cpuset,cpu:/c\n", CgroupMode::kV1), "/c");
  EXPECT_EQ(parse_proc_cgroup("5:cpusets:/c\n1:name=cpuset:/d\n", CgroupMode::kV1), std::nullopt);
  EXPECT_EQ(parse_proc_cgroup("0:: /lead\n", CgroupMode::kV2), " /lead");
  EXPECT_EQ(parse_proc_cgroup("", CgroupMode::kV2), std::nullopt);
}

}  // namespace
}  // namespace isolcpus
