// crun's state (crun 1.8.1, src/libcrun/status.c): <root>/<id>/status, a JSON
// object crun writes with yajl's beautifier.  The wrapper's liveness reads it
// as it reads runc's state.json; before this, a crun container had no state
// the wrapper could find, and every reconcile released it while it ran.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "fakes/temp_dir.hpp"
#include "lifecycle/runc_state.hpp"

namespace isolcpus {
namespace {

// What crun 1.8.1 wrote for `crun create` of a cgroupfs container in the
// 6.12 guest (tests/vm wrap_v2_crun), byte for byte.
constexpr std::string_view kCreated = R"({
    "pid": 553,
    "process-start-time": 830,
    "cgroup-path": "/kubepods.slice/kubepods-podc1111111.slice/crun1",
    "scope": "",
    "rootfs": "/bundle/rootfs",
    "systemd-cgroup": false,
    "bundle": "/run/bundles/crun1",
    "created": "2026-11-28T13:08:51.044262Z",
    "owner": "",
    "detached": true,
    "external_descriptors": "[\"/dev/null\",\"/run/isolvm/rt.out\",\"/run/isolvm/rt.out\"]"
})";

// The same shape under --cgroup-manager=systemd, at the limits of its numbers.
constexpr std::string_view kSystemd = R"({
    "pid": 4194304,
    "process-start-time": 18446744073709551615,
    "cgroup-path": "/kubepods.slice/kubepods-pod1.slice/crio-c1.scope/container",
    "scope": "crio-c1.scope",
    "rootfs": "/var/lib/containers/storage/overlay/abc/merged",
    "systemd-cgroup": true,
    "bundle": "/run/containers/storage/overlay-containers/c1/userdata",
    "created": "2026-11-28T13:10:02.412533211Z",
    "owner": "root",
    "detached": true,
    "external_descriptors": "[]"
})";

struct GoodCase {
  std::string name;
  std::string_view json;
  int pid;
  std::uint64_t ticks;
  std::string bundle;
};
void PrintTo(const GoodCase& c, std::ostream* os) { *os << c.name; }

// The scope crun's systemd driver made: where the wrapper cuts the
// workload's subgroup off on cgroup v2 (crun_cgroup_path.hpp).
TEST(CrunStatusScope, KeepsTheSystemdScopeOnly) {
  EXPECT_EQ(parse_crun_status(kSystemd, "status")->systemd_scope, "crio-c1.scope");
  EXPECT_EQ(parse_crun_status(kCreated, "status")->systemd_scope, "");
  EXPECT_EQ(parse_crun_status(R"({"pid": 7, "process-start-time": 9, "scope": 5})", "status")->systemd_scope,
            "");
}

class CrunStatus : public ::testing::TestWithParam<GoodCase> {};

TEST_P(CrunStatus, GivesInitAndBundle) {
  const auto state = parse_crun_status(GetParam().json, "status");
  ASSERT_TRUE(state.has_value()) << state.error().message;
  EXPECT_EQ(state->init_pid, GetParam().pid);
  EXPECT_EQ(state->init_start_ticks, GetParam().ticks);
  EXPECT_EQ(state->bundle, GetParam().bundle);
  EXPECT_FALSE(state->started);  // the file does not say; exec.fifo does
}

INSTANTIATE_TEST_SUITE_P(
    Table, CrunStatus,
    ::testing::Values(
        GoodCase{"Created", kCreated, 553, 830, "/run/bundles/crun1"},
        GoodCase{"SystemdOwnerLargeValues", kSystemd, 4194304, 18446744073709551615ULL,
                 "/run/containers/storage/overlay-containers/c1/userdata"},
        // crun writes 0 when the init was gone before the write:
        // a start time no live process has, so the container reads as dead.
        GoodCase{"StartTimeZero", R"({"pid": 7, "process-start-time": 0, "bundle": "/b"})", 7, 0, "/b"},
        GoodCase{"NoBundle", R"({"pid": 7, "process-start-time": 9})", 7, 9, ""},
        GoodCase{"UnknownKeysIgnored",
                 R"({"pid": 7, "process-start-time": 9, "bundle": "/b", "future": {"x": [1]}})", 7, 9, "/b"}),
    [](const auto& row) { return row.param.name; });

struct BadCase {
  std::string name;
  std::string json;
  std::string message;  // exact, for origin "status"
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class HostileCrunStatus : public ::testing::TestWithParam<BadCase> {};

TEST_P(HostileCrunStatus, IsRefusedByFileAndKey) {
  const auto state = parse_crun_status(GetParam().json, "status");
  ASSERT_FALSE(state.has_value()) << state->init_pid;
  EXPECT_EQ(state.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, HostileCrunStatus,
    ::testing::Values(
        BadCase{"Truncated", R"({"pid": 4)",
                "status: invalid JSON: parse error at line 1, column 10: syntax error while parsing object - "
                "unexpected end of input; expected '}'"},
        BadCase{"NotAnObject", "[1]", "status: (top level): expected an object (is this crun's status?)"},
        // runc's keys in crun's file: the layouts are never mixed up.
        BadCase{"RuncKeys", R"({"init_process_pid": 4, "init_process_start": 7})",
                "status: pid: expected a process ID (is this crun's status?)"},
        BadCase{"PidString", R"({"pid": "42", "process-start-time": 7})",
                "status: pid: expected a process ID (is this crun's status?)"},
        BadCase{"PidFloat", R"({"pid": 1.1e122, "process-start-time": 7})",
                "status: pid: expected a process ID (is this crun's status?)"},
        BadCase{"PidBeyondInt", R"({"pid": 2147483648, "process-start-time": 7})",
                "status: pid: expected a process ID (is this crun's status?)"},
        // crun before 0.14 wrote no start time; a bare PID may be recycled.
        BadCase{"NoStartTime", R"({"pid": 42, "cgroup-path": "/c1", "bundle": "/b"})",
                "status: process-start-time: expected a non-negative integer (clock ticks) (is this crun's "
                "status?)"},
        BadCase{"StartNegative", R"({"pid": 42, "process-start-time": -1})",
                "status: process-start-time: expected a non-negative integer (clock ticks) (is this crun's "
                "status?)"},
        BadCase{"BundleNotString", R"({"pid": 42, "process-start-time": 7, "bundle": ["/b"]})",
                "status: bundle: expected a string (is this crun's status?)"}),
    [](const auto& row) { return row.param.name; });

TEST(CrunStatusCgroup, AnEmptyCgroupPathMeansNoCgroupOfItsOwn) {
  const auto none = parse_crun_status(R"({"pid":1,"process-start-time":2,"cgroup-path":""})", "status");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->no_cgroup);
  const auto some =
      parse_crun_status(R"({"pid":1,"process-start-time":2,"cgroup-path":"/kubepods/ctr"})", "status");
  ASSERT_TRUE(some);
  EXPECT_FALSE(some->no_cgroup);
  const auto absent = parse_crun_status(R"({"pid":1,"process-start-time":2})", "status");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->no_cgroup) << "an older crun without the key keeps today's behaviour";
}

TEST(ReadRuntimeState, FindsCrunsStatusAndItsFifo) {
  TempDir tmp;
  tmp.write_file("crun/c1/status", kCreated);
  ::chmod((tmp / "crun/c1/status").c_str(), 0700);  // as crun creates it
  tmp.write_file("crun/c1/exec.fifo", "");
  auto state = read_runc_state(tmp / "crun", "c1");
  ASSERT_TRUE(state.has_value()) << state.error().message;
  ASSERT_TRUE(state->has_value());
  EXPECT_EQ((*state)->init_pid, 553);
  EXPECT_EQ((*state)->bundle, "/run/bundles/crun1");
  EXPECT_FALSE((*state)->started);
  std::filesystem::remove(tmp / "crun/c1/exec.fifo");  // `crun start` unlinks it
  state = read_runc_state(tmp / "crun", "c1");
  ASSERT_TRUE(state.has_value() && state->has_value());
  EXPECT_TRUE((*state)->started);
  EXPECT_EQ(read_runc_state(tmp / "crun", "c2").value(), std::nullopt);
}

TEST(ReadRuntimeState, RuncsFileWinsWhenBothArePresent) {
  TempDir tmp;
  tmp.write_file("root/c1/state.json", R"({"init_process_pid": 5, "init_process_start": 6})");
  tmp.write_file("root/c1/status", kCreated);
  const auto state = read_runc_state(tmp / "root", "c1");
  ASSERT_TRUE(state.has_value() && state->has_value());
  EXPECT_EQ((*state)->init_pid, 5);
}

TEST(ReadRuntimeState, CrunStatusKeepsTheSafetyRules) {
  TempDir tmp;
  tmp.write_file("crun/c1/status", kCreated);
  ::chmod((tmp / "crun/c1/status").c_str(), 0666);
  auto state = read_runc_state(tmp / "crun", "c1");
  ASSERT_FALSE(state.has_value());
  EXPECT_EQ(state.error().message,
            "runtime state " + (tmp / "crun/c1/status").string() +
                " is not owned by this user or is writable by others: not the runtime's; "
                "ignored");
  std::filesystem::remove(tmp / "crun/c1/status");
  ASSERT_EQ(::mkfifo((tmp / "crun/c1/status").c_str(), 0600), 0);  // never blocks on a FIFO
  state = read_runc_state(tmp / "crun", "c1");
  ASSERT_FALSE(state.has_value());
  EXPECT_NE(state.error().message.find("is not a regular file"), std::string::npos);
  std::filesystem::remove(tmp / "crun/c1/status");
  std::filesystem::create_symlink(tmp / "elsewhere", tmp / "crun/c1/status");
  tmp.write_file("elsewhere", kCreated);
  state = read_runc_state(tmp / "crun", "c1");
  ASSERT_FALSE(state.has_value());  // O_NOFOLLOW
  EXPECT_NE(state.error().message.find("cannot read runtime state"), std::string::npos);
}

TEST(ReadRuntimeState, NamesCrunsFileInParseErrors) {
  TempDir tmp;
  tmp.write_file("crun/c1/status", R"({"pid": 42})");
  const auto state = read_runc_state(tmp / "crun", "c1");
  ASSERT_FALSE(state.has_value());
  EXPECT_EQ(state.error().message,
            "cannot read runtime state " + (tmp / "crun/c1/status").string() +
                ": process-start-time: expected a non-negative integer (clock ticks) (is "
                "this crun's status?)");
}

}  // namespace
}  // namespace isolcpus
