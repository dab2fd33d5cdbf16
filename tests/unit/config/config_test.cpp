// TOML -> Config: every key valid and invalid, unknown keys, syntax errors,
// the all-or-nothing rule, file loading and the environment override.
#include "isolcpus/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

bool same_as_defaults(const Config& c) {
  const Config d;
  return c.runtime == d.runtime && c.log_file == d.log_file && c.log_level == d.log_level &&
         c.log_max_bytes == d.log_max_bytes && c.log_max_files == d.log_max_files && c.mode == d.mode &&
         c.on_failure == d.on_failure && c.allowed_namespaces == d.allowed_namespaces &&
         c.isolatable_cpus == d.isolatable_cpus && c.min_housekeeping_cpus == d.min_housekeeping_cpus &&
         c.state_dir == d.state_dir && c.lock_timeout == d.lock_timeout && c.host_root == d.host_root &&
         c.v1_manage_root_flag == d.v1_manage_root_flag && c.log_to_journal == d.log_to_journal &&
         c.knobs == d.knobs;
}

std::string dump(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) {
    out += "\n  " + p;
  }
  return out;
}

TEST(ParseConfig, EmptyFileIsDefaults) {
  auto load = parse_config("", "/etc/c.toml");
  EXPECT_TRUE(load.problems.empty()) << dump(load.problems);
  EXPECT_TRUE(load.found);
  EXPECT_EQ(load.path, "/etc/c.toml");
  EXPECT_TRUE(same_as_defaults(load.config));
}

TEST(ParseConfig, DefaultsAreTheDocumentedOnes) {
  const Config d;
  EXPECT_EQ(d.runtime, "");
  EXPECT_EQ(d.log_file, "/var/log/runc-isolcpus.log");
  EXPECT_EQ(d.log_level, "info");
  EXPECT_EQ(d.log_max_bytes, 4U * 1024U * 1024U);
  EXPECT_EQ(d.log_max_files, 2U);
  EXPECT_EQ(d.mode, Mode::kAnnotation);
  EXPECT_EQ(d.on_failure, OnFailure::kFail);
  EXPECT_TRUE(d.allowed_namespaces.empty());
  EXPECT_FALSE(d.isolatable_cpus);
  EXPECT_EQ(d.min_housekeeping_cpus, 2U);
  EXPECT_EQ(d.state_dir, "/run/runc-isolcpus");
  EXPECT_EQ(d.lock_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(d.host_root, "/");
  EXPECT_TRUE(d.v1_manage_root_flag);
}

TEST(ParseConfig, EveryKeyAtOnce) {
  constexpr std::string_view kText = R"(# a full file
runtime = "/usr/sbin/runc"
log_file = "/var/log/isol.log"
log_level = "debug"
log_max_bytes = 1048576
log_max_files = 5
mode = "always"
on_failure = "warn"
allowed_namespaces = ["telco", "rt"]
isolatable_cpus = "2-7"
min_housekeeping_cpus = 3
state_dir = "/run/isol"
lock_timeout_ms = 2500
host_root = "/host"
v1_manage_root_flag = false
)";
  auto load = parse_config(kText, "c.toml");
  ASSERT_TRUE(load.problems.empty()) << dump(load.problems);
  const auto& c = load.config;
  EXPECT_EQ(c.runtime, "/usr/sbin/runc");
  EXPECT_EQ(c.log_file, "/var/log/isol.log");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.log_max_bytes, 1048576U);
  EXPECT_EQ(c.log_max_files, 5U);
  EXPECT_EQ(c.mode, Mode::kAlways);
  EXPECT_EQ(c.on_failure, OnFailure::kWarn);
  EXPECT_EQ(c.allowed_namespaces, (std::vector<std::string>{"telco", "rt"}));
  ASSERT_TRUE(c.isolatable_cpus);
  EXPECT_EQ(*c.isolatable_cpus, CpuSet::range(2, 7));
  EXPECT_EQ(c.min_housekeeping_cpus, 3U);
  EXPECT_EQ(c.state_dir, "/run/isol");
  EXPECT_EQ(c.lock_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c.host_root, "/host");
  EXPECT_FALSE(c.v1_manage_root_flag);
}

// One key, one valid value: the file applies and the field has the value.
struct ValidCase {
  std::string name;
  std::string toml;
  std::function<bool(const Config&)> check;
};
void PrintTo(const ValidCase& c, std::ostream* os) { *os << c.name; }

class ValidKey : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ValidKey, Applies) {
  const auto& c = GetParam();
  auto load = parse_config(c.toml, "c.toml");
  ASSERT_TRUE(load.problems.empty()) << dump(load.problems);
  EXPECT_TRUE(c.check(load.config)) << c.toml;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ValidKey,
    ::testing::Values(
        ValidCase{"RuntimeAbsolute", R"(runtime = "/opt/runc")",
                  [](const Config& c) { return c.runtime == "/opt/runc"; }},
        ValidCase{"RuntimeEmptyMeansSearch", R"(runtime = "")",
                  [](const Config& c) { return c.runtime.empty(); }},
        ValidCase{"LogFile", R"(log_file = "/tmp/x.log")",
                  [](const Config& c) { return c.log_file == "/tmp/x.log"; }},
        ValidCase{"LogLevelTrace", R"(log_level = "trace")",
                  [](const Config& c) { return c.log_level == "trace"; }},
        ValidCase{"LogLevelDebug", R"(log_level = "debug")",
                  [](const Config& c) { return c.log_level == "debug"; }},
        ValidCase{"LogLevelInfo", R"(log_level = "info")",
                  [](const Config& c) { return c.log_level == "info"; }},
        ValidCase{"LogLevelWarn", R"(log_level = "warn")",
                  [](const Config& c) { return c.log_level == "warn"; }},
        ValidCase{"LogLevelError", R"(log_level = "error")",
                  [](const Config& c) { return c.log_level == "error"; }},
        ValidCase{"LogLevelOff", R"(log_level = "off")",
                  [](const Config& c) { return c.log_level == "off"; }},
        ValidCase{"LogMaxBytesMin", "log_max_bytes = 1",
                  [](const Config& c) { return c.log_max_bytes == 1U; }},
        ValidCase{"LogMaxBytesMax", "log_max_bytes = 1073741824",
                  [](const Config& c) { return c.log_max_bytes == 1073741824U; }},
        ValidCase{"LogMaxBytesUnderscores", "log_max_bytes = 8_388_608",
                  [](const Config& c) { return c.log_max_bytes == 8388608U; }},
        ValidCase{"LogMaxFilesZero", "log_max_files = 0",
                  [](const Config& c) { return c.log_max_files == 0U; }},
        ValidCase{"LogMaxFilesMax", "log_max_files = 1000",
                  [](const Config& c) { return c.log_max_files == 1000U; }},
        ValidCase{"LogTargetJournal", R"(log_target = "journal")",
                  [](const Config& c) { return c.log_to_journal; }},
        ValidCase{"LogTargetFile", R"(log_target = "file")",
                  [](const Config& c) { return !c.log_to_journal; }},
        ValidCase{"ModeAnnotation", R"(mode = "annotation")",
                  [](const Config& c) { return c.mode == Mode::kAnnotation; }},
        ValidCase{"ModeAlways", R"(mode = "always")",
                  [](const Config& c) { return c.mode == Mode::kAlways; }},
        ValidCase{"ModeNever", R"(mode = "never")", [](const Config& c) { return c.mode == Mode::kNever; }},
        ValidCase{"OnFailureFail", R"(on_failure = "fail")",
                  [](const Config& c) { return c.on_failure == OnFailure::kFail; }},
        ValidCase{"OnFailureWarn", R"(on_failure = "warn")",
                  [](const Config& c) { return c.on_failure == OnFailure::kWarn; }},
        ValidCase{"AllowedNamespacesEmpty", "allowed_namespaces = []",
                  [](const Config& c) { return c.allowed_namespaces.empty(); }},
        ValidCase{
            "AllowedNamespacesOne", R"(allowed_namespaces = ["kube-system"])",
            [](const Config& c) { return c.allowed_namespaces == std::vector<std::string>{"kube-system"}; }},
        ValidCase{"AllowedNamespacesMultiline", "allowed_namespaces = [\n  \"a\",\n  \"b\", # why\n]",
                  [](const Config& c) {
                    return c.allowed_namespaces == std::vector<std::string>{"a", "b"};
                  }},
        ValidCase{"IsolatableCpusList", R"(isolatable_cpus = "2-5,8")",
                  [](const Config& c) {
                    return c.isolatable_cpus == CpuSet::of({2, 3, 4, 5, 8});
                  }},
        ValidCase{"IsolatableCpusEmptyMeansUnset", R"(isolatable_cpus = "")",
                  [](const Config& c) { return !c.isolatable_cpus.has_value(); }},
        ValidCase{"MinHousekeepingOne", "min_housekeeping_cpus = 1",
                  [](const Config& c) { return c.min_housekeeping_cpus == 1U; }},
        ValidCase{"MinHousekeepingMax", "min_housekeeping_cpus = 8192",
                  [](const Config& c) { return c.min_housekeeping_cpus == 8192U; }},
        ValidCase{"StateDir", R"(state_dir = "/var/run/x")",
                  [](const Config& c) { return c.state_dir == "/var/run/x"; }},
        ValidCase{"LockTimeoutZero", "lock_timeout_ms = 0",
                  [](const Config& c) { return c.lock_timeout == std::chrono::milliseconds(0); }},
        ValidCase{"LockTimeoutHour", "lock_timeout_ms = 3600000",
                  [](const Config& c) { return c.lock_timeout == std::chrono::milliseconds(3600000); }},
        ValidCase{"HostRoot", R"(host_root = "/tmp/fake")",
                  [](const Config& c) { return c.host_root == "/tmp/fake"; }},
        ValidCase{"V1ManageRootFlagFalse", "v1_manage_root_flag = false",
                  [](const Config& c) { return !c.v1_manage_root_flag; }},
        ValidCase{"V1ManageRootFlagTrue", "v1_manage_root_flag = true",
                  [](const Config& c) { return c.v1_manage_root_flag; }},
        ValidCase{"LiteralString", "state_dir = '/run/lit'",
                  [](const Config& c) { return c.state_dir == "/run/lit"; }},
        ValidCase{"CommentsAndBlankLines", "\n# only comments\n\n",
                  [](const Config& c) { return same_as_defaults(c); }}),
    [](const auto& row) { return row.param.name; });

// One bad line: exactly one problem, with the file, the line and the key, and
// the defaults in force.
struct InvalidCase {
  std::string name;
  std::string toml;     // the bad line is on line 3
  std::string message;  // expected problem after "c.toml:3: "
};
void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

class InvalidKey : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidKey, NamesFileLineAndKeyAndKeepsDefaults) {
  const auto& c = GetParam();
  // Valid policy keys around the bad one prove no policy is half-applied
  // (valid location keys are salvaged on purpose: see ConfigSalvage).
  const std::string before = c.toml.starts_with("mode") ? "on_failure = \"warn\"" : "mode = \"always\"";
  const std::string after =
      c.toml.starts_with("allowed_namespaces") ? "min_housekeeping_cpus = 3" : "allowed_namespaces = [\"x\"]";
  const std::string text = before + "\n# comment\n" + c.toml + "\n" + after + "\n";
  auto load = parse_config(text, "c.toml");
  ASSERT_EQ(load.problems.size(), 1U) << dump(load.problems);
  EXPECT_EQ(load.problems[0], "c.toml:3: " + c.message);
  EXPECT_TRUE(same_as_defaults(load.config));
}

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidKey,
    ::testing::Values(
        InvalidCase{"RuntimeRelative", R"(runtime = "runc")",
                    "key 'runtime': \"runc\" is not an absolute path; write it starting with '/'"},
        InvalidCase{"RuntimeNumber", "runtime = 1", "key 'runtime': expected a string, got an integer"},
        InvalidCase{"RuntimeNul", R"(runtime = "/usr/bin/r\u0000unc")",
                    "key 'runtime': the path contains a NUL character"},
        InvalidCase{"LogFileRelative", R"(log_file = "x.log")",
                    "key 'log_file': \"x.log\" is not an absolute path; write it starting with '/'"},
        InvalidCase{"LogFileEmpty", R"(log_file = "")",
                    "key 'log_file': \"\" is not an absolute path; write it starting with '/'"},
        InvalidCase{"LogFileBool", "log_file = true", "key 'log_file': expected a string, got a boolean"},
        InvalidCase{
            "LogLevelUnknown", R"(log_level = "verbose")",
            "key 'log_level': \"verbose\" is not valid; use one of trace, debug, info, warn, error, off"},
        InvalidCase{
            "LogLevelCase", R"(log_level = "INFO")",
            "key 'log_level': \"INFO\" is not valid; use one of trace, debug, info, warn, error, off"},
        InvalidCase{"LogLevelNumber", "log_level = 3", "key 'log_level': expected a string, got an integer"},
        InvalidCase{"LogTargetSyslog", R"(log_target = "syslog")",
                    "key 'log_target': \"syslog\" is not valid; use one of file, journal"},
        InvalidCase{"LogMaxBytesZero", "log_max_bytes = 0",
                    "key 'log_max_bytes': 0 is out of range; use a value from 1 to 1073741824"},
        InvalidCase{"LogMaxBytesNegative", "log_max_bytes = -5",
                    "key 'log_max_bytes': -5 is out of range; use a value from 1 to 1073741824"},
        InvalidCase{"LogMaxBytesTooBig", "log_max_bytes = 1073741825",
                    "key 'log_max_bytes': 1073741825 is out of range; use a value from 1 to 1073741824"},
        InvalidCase{"LogMaxBytesString", R"(log_max_bytes = "4M")",
                    "key 'log_max_bytes': expected an integer, got a string"},
        InvalidCase{"LogMaxBytesFloat", "log_max_bytes = 1.5",
                    "key 'log_max_bytes': expected an integer, got a floating-point number"},
        InvalidCase{"LogMaxFilesNegative", "log_max_files = -1",
                    "key 'log_max_files': -1 is out of range; use a value from 0 to 1000"},
        InvalidCase{"LogMaxFilesTooBig", "log_max_files = 1001",
                    "key 'log_max_files': 1001 is out of range; use a value from 0 to 1000"},
        InvalidCase{"ModeUnknown", R"(mode = "sometimes")",
                    "key 'mode': \"sometimes\" is not valid; use one of annotation, always, never"},
        InvalidCase{"ModeBool", "mode = true", "key 'mode': expected a string, got a boolean"},
        InvalidCase{"ModeTable", "mode = { x = 1 }", "key 'mode': expected a string, got a table"},
        InvalidCase{"OnFailureUnknown", R"(on_failure = "ignore")",
                    "key 'on_failure': \"ignore\" is not valid; use one of fail, warn"},
        InvalidCase{
            "AllowedNamespacesString", R"(allowed_namespaces = "telco")",
            "key 'allowed_namespaces': expected an array of strings, e.g. [\"telco\", \"rt\"], got a string"},
        InvalidCase{"AllowedNamespacesNumberElement", R"(allowed_namespaces = ["a", 2])",
                    "key 'allowed_namespaces': element 1 must be a non-empty namespace name, got an integer"},
        InvalidCase{"AllowedNamespacesEmptyElement", R"(allowed_namespaces = [""])",
                    "key 'allowed_namespaces': element 0 must be a non-empty namespace name, got \"\""},
        InvalidCase{"IsolatableCpusNumber", "isolatable_cpus = 4",
                    "key 'isolatable_cpus': expected a string, got an integer"},
        InvalidCase{"IsolatableCpusArray", "isolatable_cpus = [2, 3]",
                    "key 'isolatable_cpus': expected a string, got an array"},
        InvalidCase{"MinHousekeepingZero", "min_housekeeping_cpus = 0",
                    "key 'min_housekeeping_cpus': 0 is out of range; use a value from 1 to 8192"},
        InvalidCase{"MinHousekeepingTooBig", "min_housekeeping_cpus = 8193",
                    "key 'min_housekeeping_cpus': 8193 is out of range; use a value from 1 to 8192"},
        InvalidCase{"MinHousekeepingString", R"(min_housekeeping_cpus = "2")",
                    "key 'min_housekeeping_cpus': expected an integer, got a string"},
        InvalidCase{"StateDirRelative", R"(state_dir = "run/x")",
                    "key 'state_dir': \"run/x\" is not an absolute path; write it starting with '/'"},
        InvalidCase{"StateDirEmpty", R"(state_dir = "")",
                    "key 'state_dir': \"\" is not an absolute path; write it starting with '/'"},
        InvalidCase{"LockTimeoutNegative", "lock_timeout_ms = -1",
                    "key 'lock_timeout_ms': -1 is out of range; use a value from 0 to 3600000"},
        InvalidCase{"LockTimeoutTooBig", "lock_timeout_ms = 3600001",
                    "key 'lock_timeout_ms': 3600001 is out of range; use a value from 0 to 3600000"},
        InvalidCase{"LockTimeoutFloat", "lock_timeout_ms = 1e3",
                    "key 'lock_timeout_ms': expected an integer, got a floating-point number"},
        InvalidCase{"HostRootRelative", R"(host_root = ".")",
                    "key 'host_root': \".\" is not an absolute path; write it starting with '/'"},
        InvalidCase{"HostRootDate", "host_root = 1979-05-27",
                    "key 'host_root': expected a string, got a date"},
        InvalidCase{"V1FlagString", R"(v1_manage_root_flag = "false")",
                    "key 'v1_manage_root_flag': expected a boolean (true or false, unquoted), got a string"},
        InvalidCase{
            "V1FlagInteger", "v1_manage_root_flag = 0",
            "key 'v1_manage_root_flag': expected a boolean (true or false, unquoted), got an integer"}),
    [](const auto& row) { return row.param.name; });

TEST(ParseConfig, IsolatableCpusJunkNamesTheValue) {
  auto load = parse_config("isolatable_cpus = \"2-x\"", "c.toml");
  ASSERT_EQ(load.problems.size(), 1U) << dump(load.problems);
  const auto& p = load.problems[0];
  EXPECT_EQ(p.rfind("c.toml:1: key 'isolatable_cpus': \"2-x\" is not a CPU list (", 0), 0U) << p;
  EXPECT_NE(p.find("write it like \"2-7\""), std::string::npos) << p;
  EXPECT_FALSE(load.config.isolatable_cpus);
}

TEST(ParseConfig, UnknownKeyNamesLineAndKnownKeys) {
  auto load = parse_config("log_level = \"info\"\n\nmodee = \"always\"\n", "/etc/runc-isolcpus/config.toml");
  ASSERT_EQ(load.problems.size(), 1U) << dump(load.problems);
  EXPECT_EQ(
      load.problems[0],
      "/etc/runc-isolcpus/config.toml:3: unknown key 'modee'; known keys: runtime, log_file, log_level, "
      "log_max_bytes, log_max_files, log_target, mode, on_failure, allowed_namespaces, isolatable_cpus, "
      "knobs, "
      "min_housekeeping_cpus, state_dir, lock_timeout_ms, host_root, v1_manage_root_flag; did you mean "
      "'mode'?");
  EXPECT_TRUE(same_as_defaults(load.config));
}

TEST(ParseConfig, UnknownKeyFarFromAnyGetsNoSuggestion) {
  auto load = parse_config("\ncolour = \"blue\"\n", "c.toml");
  ASSERT_EQ(load.problems.size(), 1U) << dump(load.problems);
  EXPECT_EQ(load.problems[0].rfind("c.toml:2: unknown key 'colour'; known keys: runtime, ", 0), 0U)
      << load.problems[0];
  EXPECT_EQ(load.problems[0].find("did you mean"), std::string::npos) << load.problems[0];
}

TEST(ParseConfig, TableHeaderIsAnUnknownKey) {
  auto load = parse_config("mode = \"never\"\n[policy]\nmode = \"always\"\n", "c.toml");
  ASSERT_EQ(load.problems.size(), 1U) << dump(load.problems);
  EXPECT_EQ(load.problems[0].rfind("c.toml:2: unknown key 'policy'", 0), 0U) << load.problems[0];
  EXPECT_EQ(load.config.mode, Mode::kAnnotation);
}

TEST(ParseConfig, EveryProblemIsListed) {
  auto load = parse_config("mode = \"x\"\nlog_level = 1\nstate_dir = \"rel\"\nbogus = 1\n", "c.toml");
  ASSERT_EQ(load.problems.size(), 4U) << dump(load.problems);
  EXPECT_EQ(load.problems[0].rfind("c.toml:1: key 'mode'", 0), 0U) << dump(load.problems);
  EXPECT_EQ(load.problems[1].rfind("c.toml:2: key 'log_level'", 0), 0U) << dump(load.problems);
  EXPECT_EQ(load.problems[2].rfind("c.toml:3: key 'state_dir'", 0), 0U) << dump(load.problems);
  EXPECT_EQ(load.problems[3].rfind("c.toml:4: unknown key 'bogus'", 0), 0U) << dump(load.problems);
  EXPECT_TRUE(same_as_defaults(load.config));
}

struct SyntaxCase {
  std::string name;
  std::string toml;
  std::string prefix;  // "c.toml:<line>:<column>: TOML syntax error: "
};
void PrintTo(const SyntaxCase& c, std::ostream* os) { *os << c.name; }

class SyntaxError : public ::testing::TestWithParam<SyntaxCase> {};

TEST_P(SyntaxError, NamesFileLineColumnAndDescription) {
  const auto& c = GetParam();
  auto load = parse_config(c.toml, "c.toml");
  ASSERT_EQ(load.problems.size(), 1U) << dump(load.problems);
  const auto& p = load.problems[0];
  EXPECT_EQ(p.rfind(c.prefix, 0), 0U) << p;
  EXPECT_GT(p.size(), c.prefix.size()) << "toml++'s description is missing: " << p;
  EXPECT_TRUE(same_as_defaults(load.config));
}

INSTANTIATE_TEST_SUITE_P(
    Table, SyntaxError,
    ::testing::Values(SyntaxCase{"UnquotedString", "mode = \"never\"\nlog_level = info\n",
                                 "c.toml:2:16: TOML syntax error: "},
                      SyntaxCase{"MissingValue", "\n\nmode =\n", "c.toml:3:"},
                      SyntaxCase{"UnterminatedString", "mode = \"always\n", "c.toml:1:"},
                      SyntaxCase{"DuplicateKey", "mode = \"always\"\nmode = \"never\"\n", "c.toml:2:"},
                      SyntaxCase{"UnclosedArray", "allowed_namespaces = [\"a\"\nmode = \"x\"\n", "c.toml:2:"},
                      SyntaxCase{"YamlNotToml", "mode: always\n", "c.toml:1:"}),
    [](const auto& row) { return row.param.name; });

TEST(LoadConfig, MissingFileIsDefaultsWithoutProblem) {
  TempDir dir;
  auto load = load_config(dir / "absent.toml");
  EXPECT_FALSE(load.found);
  EXPECT_TRUE(load.problems.empty()) << dump(load.problems);
  EXPECT_EQ(load.path, dir / "absent.toml");
  EXPECT_TRUE(same_as_defaults(load.config));
}

TEST(LoadConfig, ReadsTheFile) {
  TempDir dir;
  dir.write_file("c.toml", "mode = \"never\"\nlock_timeout_ms = 5\n");
  auto load = load_config(dir / "c.toml");
  EXPECT_TRUE(load.found);
  ASSERT_TRUE(load.problems.empty()) << dump(load.problems);
  EXPECT_EQ(load.config.mode, Mode::kNever);
  EXPECT_EQ(load.config.lock_timeout, std::chrono::milliseconds(5));
}

TEST(LoadConfig, ProblemsNameTheRealPath) {
  TempDir dir;
  dir.write_file("c.toml", "\nmodee = 1\n");
  auto load = load_config(dir / "c.toml");
  EXPECT_TRUE(load.found);
  ASSERT_EQ(load.problems.size(), 1U) << dump(load.problems);
  EXPECT_EQ(load.problems[0].rfind((dir / "c.toml").string() + ":2: unknown key 'modee'", 0), 0U)
      << load.problems[0];
}

TEST(LoadConfig, UnreadableIsAProblem) {
  TempDir dir;
  dir.make_dirs("c.toml");  // a directory: open works, read fails with EISDIR
  auto load = load_config(dir / "c.toml");
  EXPECT_TRUE(load.found);
  ASSERT_EQ(load.problems.size(), 1U) << dump(load.problems);
  EXPECT_EQ(
      load.problems[0].rfind((dir / "c.toml").string() + ": cannot read the config file: Is a directory", 0),
      0U)
      << load.problems[0];
  EXPECT_TRUE(same_as_defaults(load.config));
}

TEST(LoadConfig, NotADirectoryInPathIsAProblem) {
  TempDir dir;
  dir.write_file("file", "x");
  auto load = load_config(dir / "file" / "c.toml");
  ASSERT_EQ(load.problems.size(), 1U) << dump(load.problems);
  EXPECT_NE(load.problems[0].find("Not a directory"), std::string::npos) << load.problems[0];
}

// Restores the variable whatever the test does.
class EnvGuard {
 public:
  EnvGuard() {
    if (const char* v = std::getenv(kConfigEnv.data())) {
      saved_ = v;
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
  ~EnvGuard() {
    if (saved_) {
      ::setenv(kConfigEnv.data(), saved_->c_str(), 1);
    } else {
      ::unsetenv(kConfigEnv.data());
    }
  }

 private:
  std::optional<std::string> saved_;
};

TEST(ConfigPathFromEnv, UnsetIsDefault) {
  EnvGuard guard;
  ::unsetenv(kConfigEnv.data());
  EXPECT_EQ(config_path_from_env(), "/etc/runc-isolcpus/config.toml");
}

TEST(ConfigPathFromEnv, EmptyIsDefault) {
  EnvGuard guard;
  ::setenv(kConfigEnv.data(), "", 1);
  EXPECT_EQ(config_path_from_env(), "/etc/runc-isolcpus/config.toml");
}

TEST(ConfigPathFromEnv, SetOverrides) {
  EnvGuard guard;
  ::setenv(kConfigEnv.data(), "/tmp/other.toml", 1);
  EXPECT_EQ(config_path_from_env(), "/tmp/other.toml");
}

TEST(ConfigPathFromEnv, EnvOverrideEndToEnd) {
  EnvGuard guard;
  TempDir dir;
  dir.write_file("c.toml", "on_failure = \"warn\"\n");
  ::setenv(kConfigEnv.data(), (dir / "c.toml").c_str(), 1);
  auto load = load_config(config_path_from_env());
  ASSERT_TRUE(load.problems.empty()) << dump(load.problems);
  EXPECT_EQ(load.config.on_failure, OnFailure::kWarn);
}

}  // namespace
}  // namespace isolcpus

namespace isolcpus {
namespace {

// examples/config.toml documents every key with its default: it must parse
// cleanly, change nothing, and name every known key uncommented.
TEST(ExampleConfig, EveryKeyAtItsDefault) {
  const auto example = std::filesystem::path(__FILE__).parent_path() / "../../../examples/config.toml";
  auto load = load_config(example);
  ASSERT_TRUE(load.found) << example;
  ASSERT_TRUE(load.problems.empty()) << dump(load.problems);
  EXPECT_TRUE(same_as_defaults(load.config));

  std::ifstream in(example);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  for (const std::string_view key :
       {"runtime", "log_file", "log_level", "log_max_bytes", "log_max_files", "mode", "on_failure",
        "allowed_namespaces", "isolatable_cpus", "min_housekeeping_cpus", "state_dir", "lock_timeout_ms",
        "host_root", "v1_manage_root_flag"}) {
    EXPECT_NE(text.find("\n" + std::string(key) + " = "), std::string::npos)
        << key << " missing from the example";
  }
}

}  // namespace
}  // namespace isolcpus

namespace isolcpus {
namespace {

TEST(ConfigSalvage, ABrokenFileKeepsItsValidLocationsButNoPolicy) {
  const auto load = parse_config(
      "runtime = \"/opt/runc/bin/runc\"\n"
      "state_dir = \"/var/lib/isolcpus\"\n"
      "mode = \"allways\"\n"
      "log_file = \"relative.log\"\n"
      "v1_manage_root_flag = false\n"
      "allowed_namespaces = [\"rt\"]\n",
      "/etc/runc-isolcpus/config.toml");
  ASSERT_EQ(load.problems.size(), 2u);
  EXPECT_EQ(load.config.runtime, "/opt/runc/bin/runc");
  EXPECT_EQ(load.config.state_dir, "/var/lib/isolcpus");
  EXPECT_FALSE(load.config.v1_manage_root_flag);
  EXPECT_EQ(load.config.log_file, Config{}.log_file) << "an invalid location is not kept";
  EXPECT_EQ(load.config.mode, Config{}.mode);
  EXPECT_TRUE(load.config.allowed_namespaces.empty()) << "policy keys are never half-applied";
}

TEST(ConfigSalvage, ASyntaxErrorKeepsOnlyAPlainRuntimeLine) {
  // The pass-through path reads a plain runtime line without the TOML parser
  // (scan_runtime_key), so the full parser must land on the same runc.
  const auto load = parse_config("runtime = \"/opt/runc\"\nstate_dir = \"/x\"\nmode = \n", "c.toml");
  ASSERT_EQ(load.problems.size(), 1u);
  EXPECT_EQ(load.config.runtime, "/opt/runc");
  EXPECT_EQ(load.config.state_dir, Config{}.state_dir);
  const auto escaped = parse_config("runtime = \"/opt/r\\u0075nc\"\nmode = \n", "c.toml");
  EXPECT_EQ(escaped.config.runtime, "") << "not the plain form: nothing salvaged after a syntax error";
}

}  // namespace
}  // namespace isolcpus

namespace isolcpus {
namespace {

TEST(EffectiveConfig, ProblemsMeanModeNeverAndKeepTheRest) {
  struct Case {
    const char* name;
    const char* toml;
    Mode mode;
  };
  const Case cases[] = {
      {"a clean file is applied as is", "mode = \"always\"\nstate_dir = \"/s\"\n", Mode::kAlways},
      {"no file is the default mode", "", Mode::kAnnotation},
      {"a problem isolates nothing new", "mode = \"always\"\nstate_dir = \"/s\"\nbogus = 1\n", Mode::kNever},
  };
  for (const auto& c : cases) {
    const ConfigLoad loaded = parse_config(c.toml, "/etc/runc-isolcpus/config.toml");
    const Config config = effective_config(loaded);
    EXPECT_EQ(config.mode, c.mode) << c.name;
    EXPECT_EQ(config.state_dir, loaded.config.state_dir) << c.name << ": where things are stays";
  }
}

TEST(ParseConfig, KnobsChooseTheTuningsThisNodeHonours) {
  EXPECT_EQ(Config{}.knobs,
            (std::vector<Knob>{Knob::kCpuQuota, Knob::kIrqLoadBalancing, Knob::kCStates, Knob::kGovernor}));
  auto load = parse_config("knobs = [\"cpu-quota\", \"cpu-quota\"]\n", "c.toml");
  ASSERT_TRUE(load.problems.empty()) << dump(load.problems);
  EXPECT_EQ(load.config.knobs, (std::vector<Knob>{Knob::kCpuQuota}));
  load = parse_config("knobs = []\n", "c.toml");
  ASSERT_TRUE(load.problems.empty()) << dump(load.problems);
  EXPECT_TRUE(load.config.knobs.empty());
  for (const char* bad : {"knobs = [\"cpu-quota\", \"turbo\"]", "knobs = \"cpu-quota\"", "knobs = [1]",
                          "knobs = [\"cpu-load-balancing\"]"}) {
    load = parse_config(std::string(bad) + "\n", "c.toml");
    ASSERT_EQ(load.problems.size(), 1U) << bad;
    EXPECT_NE(load.problems[0].find("c.toml:1"), std::string::npos) << load.problems[0];
    EXPECT_NE(load.problems[0].find("knobs"), std::string::npos) << load.problems[0];
    EXPECT_TRUE(same_as_defaults(load.config)) << bad;
  }
}

}  // namespace
}  // namespace isolcpus
