// A corrupt ledger and a hostile state_dir (issue 10's bad-input table): the
// exact message for each, naming the file, the key and what to do, and no
// crash, UB or hang.  A wrapper that cannot read the ledger leaves every
// container that did not opt in alone (decide_for_bundle); an operator reads
// these in the log and in `runc-isolcpus-ctl status`.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "fakes/temp_dir.hpp"
#include "isolcpus/ledger.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::string_view kFix = "; inspect it, then move it aside and run `runc-isolcpus-ctl reconcile`";

struct BadCase {
  std::string name;
  std::string json;
  std::string why;  // between "ledger.json: corrupt ledger: " and kFix
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

// One valid entry with `field` replaced by `value` (JSON text; "" drops it).
std::string entry_with(std::string_view field, std::string_view value) {
  std::string entry =
      R"({"runc_root": "/run/runc", "container_id": "c1", "state": "isolated", "cpus": "2-3", "bundle": "/b",)"
      R"( "cgroups_path": "", "systemd_cgroup": false, "pod_namespace": "", "pod_name": "",)"
      R"( "container_name": "", "decided_at": 0, "isolated_at": 0, "init_pid": 42, "init_start_ticks": 7})";
  const std::string key = "\"" + std::string(field) + "\": ";
  const auto at = entry.find(key);
  if (at == std::string::npos) {
    entry.insert(entry.size() - 1, ", " + key + std::string(value));
  } else if (value.empty()) {
    entry.erase(at, entry.find(", ", at) + 2 - at);
  } else {
    const auto end = entry.find_first_of(",}", at + key.size());
    entry.replace(at + key.size(), end - at - key.size(), value);
  }
  return R"({"version": 1, "v1": {"balanced_cgroup": "", "flag_changes": []}, "entries": [)" + entry + "]}";
}

std::string deep(std::size_t depth) {
  return R"({"version": 1, "v1": {"balanced_cgroup": "", "flag_changes": []}, "entries": )" +
         std::string(depth, '[') + std::string(depth, ']') + "}";
}

class CorruptLedger : public ::testing::TestWithParam<BadCase> {};

TEST_P(CorruptLedger, IsRefusedByFileKeyAndFix) {
  const auto parsed = parse_ledger(GetParam().json, "ledger.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().message, "ledger.json: corrupt ledger: " + GetParam().why + std::string(kFix));
}

INSTANTIATE_TEST_SUITE_P(
    Table, CorruptLedger,
    ::testing::Values(
        BadCase{"Empty", "",
                "invalid JSON: parse error at line 1, column 1: syntax error while parsing value - "
                "unexpected end "
                "of input; expected '[', '{', or a literal"},
        BadCase{"Truncated", R"({"version": 1, "entries": [)",
                "invalid JSON: parse error at line 1, column 28: syntax error while parsing value - "
                "unexpected end "
                "of input; expected '[', '{', or a literal"},
        BadCase{"NotAnObject", "[]", "(top level): expected an object, got array"},
        BadCase{"NoVersion", R"({"entries": []})", "version: missing"},
        // Found by the ledger fuzzer: a float converted to int with a plain
        // cast, undefined behaviour (UBSan: float-cast-overflow).
        BadCase{"VersionHugeFloat", R"({"version": 7.7e104})",
                "version: expected an integer from -2147483648 to 2147483647, got 7.7e+104"},
        BadCase{"VersionString", R"({"version": "1"})",
                "version: expected an integer from -2147483648 to 2147483647, got string"},
        BadCase{"PidHugeFloat", entry_with("init_pid", "1e300"),
                "entries[0].init_pid: expected an integer from -2147483648 to 2147483647, got 1e+300"},
        BadCase{"PidTooBig", entry_with("init_pid", "4294967296"),
                "entries[0].init_pid: expected an integer from -2147483648 to 2147483647, got 4294967296"},
        BadCase{"TicksNegative", entry_with("init_start_ticks", "-1"),
                "entries[0].init_start_ticks: expected an integer from 0 to 18446744073709551615, got -1"},
        BadCase{"CpusNumber", entry_with("cpus", "3"), "entries[0].cpus: expected a string, got number"},
        BadCase{"CpusReversed", entry_with("cpus", R"("3-2")"),
                "entries[0].cpus: invalid CPU list \"3-2\": range \"3-2\" runs backwards"},
        BadCase{"CpusMissing", entry_with("cpus", ""), "entries[0].cpus: missing"},
        BadCase{"UnknownState", entry_with("state", R"("floating")"),
                "entries[0].state: \"floating\" is not one of decided, isolating, isolated, releasing"},
        BadCase{"SystemdNotBool", entry_with("systemd_cgroup", "1"),
                "entries[0].systemd_cgroup: expected a boolean, got number"},
        BadCase{"IsolationLevelsNotArray",
                entry_with("isolation", R"({"isolator": "x", "cgroup": "c", "cpus": "1",)"
                                        R"( "ancestor_additions": {}})"),
                "entries[0].isolation.ancestor_additions: expected an array, got object"},
        BadCase{"UpdateChildPidFloat",
                entry_with("update", R"({"from": "1", "to": "2", "cgroup": "", "wrapper": {"pid": 1,)"
                                     R"( "start_ticks": 2}, "child": {"pid": 0.5, "start_ticks": 1}})"),
                "entries[0].update.child.pid: expected an integer from -2147483648 to 2147483647, got 0.5"},
        BadCase{"ProblemsNotStrings", entry_with("problems", "[1]"),
                "entries[0].problems[0]: expected a string, got number"},
        BadCase{"EntriesDeeplyNested", deep(100'000), "entries[0]: expected an object, got array"}),
    [](const auto& row) { return row.param.name; });

TEST(CorruptLedger, NewerFormatSaysWhichVersionToRun) {
  const auto parsed = parse_ledger(R"({"version": 3})", "ledger.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(
      parsed.error().message,
      "ledger.json: ledger format version 3 is not understood by this runc-isolcpus (expects 1 or 2); run "
      "the matching version's `runc-isolcpus-ctl reconcile` first");
}

// The directory and the file themselves.
class HostileStateDir : public ::testing::Test {
 protected:
  TempDir tmp;
  [[nodiscard]] fs::path dir() const { return tmp.path() / "state"; }
  [[nodiscard]] std::string refusal() const {
    const auto ledger = Ledger::open(dir(), 200ms);
    EXPECT_FALSE(ledger.has_value());
    return ledger ? "" : ledger.error().message;
  }
  void make_private_dir() const {
    fs::create_directories(dir());
    ::chmod(dir().c_str(), 0700);
  }
};

TEST_F(HostileStateDir, Symlink) {
  fs::create_directories(tmp.path() / "elsewhere");
  ::chmod((tmp.path() / "elsewhere").c_str(), 0700);
  fs::create_directory_symlink(tmp.path() / "elsewhere", dir());
  EXPECT_EQ(refusal(),
            "state_dir " + dir().string() + " is not a directory (a symlink or file is refused); remove it");
}

TEST_F(HostileStateDir, WorldWritable) {
  fs::create_directories(dir());
  ::chmod(dir().c_str(), 01777);
  EXPECT_EQ(refusal(),
            "state_dir " + dir().string() + " must be owned by root with mode 0700 (it is uid 0, mode 1777)" +
                "; fix with `chown root: " + dir().string() + " && chmod 0700 " + dir().string() + "`");
}

TEST_F(HostileStateDir, CorruptLedgerFileIsNamedAndKept) {
  make_private_dir();
  tmp.write_file("state/ledger.json", R"({"version": 1, "entries": [{"runc_root": 5}]})");
  const std::string path = (dir() / "ledger.json").string();
  EXPECT_EQ(refusal(), path + ": corrupt ledger: entries[0].runc_root: expected a string, got number" +
                           std::string(kFix));
  EXPECT_EQ(tmp.read_file("state/ledger.json"), R"({"version": 1, "entries": [{"runc_root": 5}]})");
}

TEST_F(HostileStateDir, LedgerThatIsADirectory) {
  make_private_dir();
  fs::create_directory(dir() / "ledger.json");
  EXPECT_EQ(refusal(), (dir() / "ledger.json").string() +
                           ": not a regular file; move it aside and run `runc-isolcpus-ctl reconcile`");
}

TEST_F(HostileStateDir, LedgerThatIsASymlink) {
  make_private_dir();
  tmp.write_file("elsewhere.json",
                 R"({"version": 1, "entries": [], "v1": {"balanced_cgroup": "", "flag_changes": []}})");
  fs::create_symlink(tmp.path() / "elsewhere.json", dir() / "ledger.json");
  EXPECT_EQ(refusal(), (dir() / "ledger.json").string() +
                           ": not a regular file; move it aside and run `runc-isolcpus-ctl reconcile`");
}

// A FIFO would block the read, with the node lock held, forever.
TEST_F(HostileStateDir, LedgerThatIsAFifoIsNotWaitedOn) {
  make_private_dir();
  ASSERT_EQ(::mkfifo((dir() / "ledger.json").c_str(), 0600), 0);
  EXPECT_EQ(refusal(), (dir() / "ledger.json").string() +
                           ": not a regular file; move it aside and run `runc-isolcpus-ctl reconcile`");
}

}  // namespace
}  // namespace isolcpus
