#include "isolcpus/ledger.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

LedgerData sample() {
  LedgerData data;
  LedgerEntry a;
  a.runc_root = "/run/containerd/runc/k8s.io";
  a.container_id = "abc";
  a.state = EntryState::kIsolated;
  a.cpus = CpuSet::of({2, 3});
  a.bundle = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc";
  a.cgroups_path = "kubepods-pod1.slice:cri-containerd:abc";
  a.systemd_cgroup = true;
  a.pod_namespace = "rt";
  a.pod_name = "pod-a";
  a.container_name = "app";
  a.decided_at = 1700000000;
  a.isolated_at = 1700000001;
  a.init_pid = 4242;
  a.init_start_ticks = 987654321;
  a.isolation = Isolation{std::string(kIsolatorV2),
                          "kubepods.slice/kubepods-pod1.slice/cri-containerd-abc.scope", CpuSet::of({2, 3}),
                          V2Changes{{{"kubepods.slice", CpuSet::of({2, 3})},
                                     {"kubepods.slice/kubepods-pod1.slice", CpuSet::of({3})}}}};
  LedgerEntry b;
  b.runc_root = "/run/runc";
  b.container_id = "v1-ctr";
  b.state = EntryState::kDecided;
  b.cpus = CpuSet::of({5});
  b.isolation = Isolation{std::string(kIsolatorV1), "kubepods/pod2/v1-ctr", CpuSet::of({5}), V1Changes{true}};
  LedgerEntry c;  // tunings only
  c.runc_root = "/run/runc";
  c.container_id = "tuned";
  c.state = EntryState::kReleasing;
  c.cpus = CpuSet::of({6, 7});
  c.cpuset_isolation = false;
  c.tunings = {
      {Knob::kCpuQuota, "disable"}, {Knob::kCStates, "max_latency:10"}, {Knob::kGovernor, "performance"}};
  c.tuning_changes = {{Knob::kCpuQuota, "/sys/fs/cgroup/kubepods/pod3/cpu.max", "400000 100000", "max 100000",
                       CpuSet::of({6, 7})},
                      {Knob::kCStates, "/sys/devices/system/cpu/cpu6/power/pm_qos_resume_latency_us", "0",
                       "10", CpuSet::of({6})}};
  c.problems = {"cannot restore ..."};
  data.entries = {a, b, c};
  data.v1.root_flag_original = true;
  data.v1.balanced_cgroup = "runc-isolcpus.balanced";
  data.v1.flag_changes = {{"kubepods", true}, {"kubepods/pod2", false}};
  data.irqbalance_told = "/run/irqbalance/irqbalance42.sock =2-3";
  return data;
}

TEST(LedgerFormat, RoundTripsEveryField) {
  const LedgerData data = sample();
  auto parsed = parse_ledger(serialize_ledger(data), "test");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, data);
}

// The JSON keeps the shape every version wrote (ancestor_additions always,
// container_flag_original when known); in memory each isolator gets only
// its own record.
TEST(LedgerFormat, EachIsolatorReadsOnlyItsOwnRecord) {
  const std::string text = serialize_ledger(sample());
  const auto doc = nlohmann::json::parse(text);
  const auto& v1_json = doc["entries"][1]["isolation"];
  EXPECT_EQ(v1_json["ancestor_additions"], nlohmann::json::array()) << text;
  EXPECT_EQ(v1_json["container_flag_original"], true) << text;
  EXPECT_FALSE(doc["entries"][0]["isolation"].contains("container_flag_original")) << text;

  auto tampered = doc;
  tampered["entries"][1]["isolation"]["ancestor_additions"] =
      nlohmann::json::array({{{"cgroup", "kubepods"}, {"added", "5"}}});
  tampered["entries"][0]["isolation"]["isolator"] = "from-a-newer-version";
  auto parsed = parse_ledger(tampered.dump(), "test");
  ASSERT_TRUE(parsed) << parsed.error().message;
  const Isolation& v1 = *parsed->entries[1].isolation;
  ASSERT_TRUE(std::holds_alternative<V1Changes>(v1.changes));
  EXPECT_EQ(changes_of<V2Changes>(v1).ancestor_additions.size(), 0U);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(parsed->entries[0].isolation->changes));
}

// 0.3's keys are optional: an entry without them (every older ledger) is
// load balancing only, and one with them names every file it changed.
// A node's IRQs: one record per run of files changed alike, not per file.
LedgerData many_irqs(unsigned irqs, unsigned entries) {
  LedgerData data;
  for (unsigned e = 0; e < entries; ++e) {
    LedgerEntry entry = sample().entries[2];
    entry.container_id = "c" + std::to_string(e);
    entry.tuning_changes.clear();
    entry.tuning_changes.push_back(
        {Knob::kIrqLoadBalancing, "/proc/irq/default_smp_affinity", "ff", "f3", CpuSet::of({2, 3})});
    for (unsigned irq = 0; irq < irqs; ++irq) {
      // IRQs 0 and 2 refused (held with no CPUs), one with another original.
      const bool refused = irq == 0 || irq == 2;
      entry.tuning_changes.push_back({Knob::kIrqLoadBalancing,
                                      "/proc/irq/" + std::to_string(irq) + "/smp_affinity",
                                      irq == 40 ? "0f" : "ff",
                                      refused     ? "ff"
                                      : irq == 40 ? "03"
                                                  : "f3",
                                      refused ? CpuSet{} : CpuSet::of({2, 3})});
    }
    entry.tuning_changes.push_back({Knob::kCStates,
                                    "/sys/devices/system/cpu/cpu2/power/pm_qos_resume_latency_us", "0", "n/a",
                                    CpuSet::of({2})});
    data.entries.push_back(std::move(entry));
  }
  return data;
}

TEST(LedgerFormat, RunsOfFilesChangedAlikeAreOneRecordAndRoundTripExactly) {
  const LedgerData data = many_irqs(1500, 40);
  const std::string text = serialize_ledger(data);
  auto parsed = parse_ledger(text, "x");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, data);
  const auto doc = nlohmann::json::parse(text);
  const auto& changes = doc["entries"][0]["tuning_changes"];
  // default, 0, 1, 2, 3-39, 40, 41-1499, C-state
  ASSERT_EQ(changes.size(), 8U) << changes.dump();
  EXPECT_EQ(changes[4]["file_prefix"], "/proc/irq/");
  EXPECT_EQ(changes[4]["file_numbers"], "3-39");
  EXPECT_EQ(changes[4]["file_suffix"], "/smp_affinity");
  EXPECT_EQ(changes[1]["file"], "/proc/irq/0/smp_affinity");  // a run of one stays a file
  // 40 containers holding 1,500 IRQs each: kilobytes, not megabytes.
  EXPECT_LT(text.size(), 100'000U) << text.size();
}

TEST(LedgerFormat, OutOfOrderOrOddlyNumberedFilesStayOneRecordEach) {
  LedgerData data = many_irqs(0, 1);
  auto& changes = data.entries[0].tuning_changes;
  for (const char* file : {"/proc/irq/9/smp_affinity", "/proc/irq/8/smp_affinity",
                           "/proc/irq/08/smp_affinity", "/proc/irq/10/smp_affinity", "/x/7", "/x/8"}) {
    changes.push_back({Knob::kIrqLoadBalancing, file, "ff", "f3", CpuSet::of({2})});
  }
  auto parsed = parse_ledger(serialize_ledger(data), "x");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, data);
}

TEST(LedgerFormat, ALedgerWithRunsSaysSoByItsVersionAndOneWithoutKeepsTheOld) {
  EXPECT_EQ(nlohmann::json::parse(serialize_ledger(many_irqs(10, 1)))["version"], 2);
  EXPECT_EQ(nlohmann::json::parse(serialize_ledger(many_irqs(0, 1)))["version"], 1);
  EXPECT_EQ(nlohmann::json::parse(serialize_ledger(sample()))["version"], 1);
}

TEST(LedgerFormat, RunsCannotExpandBeyondAMillionChanges) {
  auto doc = nlohmann::json::parse(serialize_ledger(many_irqs(10, 1)));
  auto& changes = doc["entries"][0]["tuning_changes"];
  const auto run = changes[4];
  for (int i = 0; i < 4; ++i) {
    auto big = run;
    big["file_numbers"] = "0-1048574";  // 2^20 - 1 each: under the per-run cap
    big["file_prefix"] = "/p" + std::to_string(i) + "/";
    changes.push_back(big);
  }
  auto refused = parse_ledger(doc.dump(), "x");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("more than 1048576 tuning changes"), std::string::npos)
      << refused.error().message;
  // Across entries too.
  auto doc2 = nlohmann::json::parse(serialize_ledger(many_irqs(10, 3)));
  for (int e = 0; e < 3; ++e) {
    auto big = doc2["entries"][e]["tuning_changes"][4];
    big["file_numbers"] = "0-400000";
    doc2["entries"][e]["tuning_changes"].push_back(big);
  }
  refused = parse_ledger(doc2.dump(), "x");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("entries[2].tuning_changes: more than"), std::string::npos)
      << refused.error().message;
}

TEST(LedgerFormat, HostileRunsAreRefusedNamingTheRecord) {
  const auto doc = nlohmann::json::parse(serialize_ledger(many_irqs(10, 1)));
  for (const char* numbers :
       {"", "5", "3-1", "1,1", "2,1", "0-4000000000", "1-x", "-1", "1--2", "0-16777216", "1,,2", " 1-2"}) {
    auto bad = doc;
    bad["entries"][0]["tuning_changes"][4]["file_numbers"] = numbers;
    auto refused = parse_ledger(bad.dump(), "x");
    ASSERT_FALSE(refused) << numbers;
    EXPECT_NE(refused.error().message.find("entries[0].tuning_changes[4].file_numbers"), std::string::npos)
        << refused.error().message;
  }
}

TEST(LedgerFormat, TuningsAreOptionalAndExact) {
  const auto doc = nlohmann::json::parse(serialize_ledger(sample()));
  EXPECT_FALSE(doc["entries"][0].contains("tunings"));
  EXPECT_FALSE(doc["entries"][0].contains("cpuset_isolation"));
  EXPECT_EQ(doc["entries"][2]["cpuset_isolation"], false);
  EXPECT_EQ(doc["entries"][2]["tuning_changes"][1]["file"],
            "/sys/devices/system/cpu/cpu6/power/pm_qos_resume_latency_us");
  auto old = doc;
  old["entries"].erase(2);
  auto parsed = parse_ledger(old.dump(), "old");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->entries[0].cpuset_isolation);
  EXPECT_TRUE(parsed->entries[0].tunings.empty());
  auto unknown = doc;
  unknown["entries"][2]["tuning_changes"][0]["knob"] = "turbo-boost";
  auto refused = parse_ledger(unknown.dump(), "x");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("entries[2].tuning_changes[0].knob"), std::string::npos)
      << refused.error().message;
}

TEST(LedgerFormat, EmptyRoundTrips) {
  auto parsed = parse_ledger(serialize_ledger(LedgerData{}), "test");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, LedgerData{});
}

TEST(LedgerFormat, RejectsCorruptionWithTheFileName) {
  for (const char* bad : {"", "{", "{\"version\":1}", "{\"version\":3,\"entries\":[],\"v1\":{}}", "[]",
                          "{\"version\":1,\"entries\":[{\"runc_root\":1}],\"v1\":{}}"}) {
    auto parsed = parse_ledger(bad, "/run/runc-isolcpus/ledger.json");
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_NE(parsed.error().message.find("/run/runc-isolcpus/ledger.json"), std::string::npos);
  }
  auto v3 = parse_ledger("{\"version\":3,\"entries\":[],\"v1\":{}}", "x");
  EXPECT_NE(v3.error().message.find("version 3"), std::string::npos);
}

TEST(LedgerFormat, RejectsUnknownStateAndBadCpus) {
  std::string text = serialize_ledger(sample());
  std::string bad_state = text;
  bad_state.replace(bad_state.find("\"isolated\""), 10, "\"floating\"");
  EXPECT_FALSE(parse_ledger(bad_state, "x").has_value());
  std::string bad_cpus = text;
  bad_cpus.replace(bad_cpus.find("\"2-3\""), 5, "\"3-2\"");
  EXPECT_FALSE(parse_ledger(bad_cpus, "x").has_value());
}

class LedgerDir : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path dir() const { return tmp.path() / "state"; }
};

TEST_F(LedgerDir, CreatesAPrivateDirAndPersistsCommits) {
  {
    auto ledger = Ledger::open(dir(), 1s);
    ASSERT_TRUE(ledger.has_value()) << ledger.error().message;
    EXPECT_TRUE(ledger->data().entries.empty());
    ledger->data() = sample();
    ASSERT_TRUE(ledger->commit().has_value());
    EXPECT_NE(ledger->find("/run/runc", "v1-ctr"), nullptr);
    EXPECT_EQ(ledger->find("/run/runc", "abc"), nullptr);
  }
  struct stat st {};
  ASSERT_EQ(::stat(dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  auto again = Ledger::open(dir(), 1s);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->data(), sample());
  auto snapshot = read_ledger_snapshot(dir());
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(*snapshot, sample());
  EXPECT_FALSE(fs::exists(dir() / "ledger.json.tmp"));
}

TEST_F(LedgerDir, RefusesAGroupOrWorldAccessibleDir) {
  fs::create_directories(dir());
  ::chmod(dir().c_str(), 0755);
  auto ledger = Ledger::open(dir(), 1s);
  ASSERT_FALSE(ledger.has_value());
  EXPECT_NE(ledger.error().message.find("mode 0700"), std::string::npos) << ledger.error().message;
  EXPECT_NE(ledger.error().message.find("chmod 0700"), std::string::npos);
}

TEST_F(LedgerDir, RefusesASymlinkedDir) {
  fs::create_directories(tmp.path() / "elsewhere");
  ::chmod((tmp.path() / "elsewhere").c_str(), 0700);
  fs::create_directory_symlink(tmp.path() / "elsewhere", dir());
  auto ledger = Ledger::open(dir(), 1s);
  ASSERT_FALSE(ledger.has_value());
  EXPECT_NE(ledger.error().message.find("not a directory"), std::string::npos) << ledger.error().message;
}

TEST_F(LedgerDir, WaitsBoundedlyForTheLockAndNamesIt) {
  auto first = Ledger::open(dir(), 1s);
  ASSERT_TRUE(first.has_value());
  // flock locks belong to open file descriptions: a second open in this
  // process contends like another process would.
  const auto started = std::chrono::steady_clock::now();
  auto second = Ledger::open(dir(), 150ms);
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().message.find("timed out after 150 ms"), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find((dir() / "lock").string()), std::string::npos);
  EXPECT_GE(waited, 150ms);
}

TEST_F(LedgerDir, LockIsFreedWhenTheLedgerGoes) {
  {
    auto first = Ledger::open(dir(), 1s);
    ASSERT_TRUE(first.has_value());
  }
  auto second = Ledger::open(dir(), 100ms);
  EXPECT_TRUE(second.has_value());
}

TEST_F(LedgerDir, ACorruptLedgerIsReportedNotOverwritten) {
  fs::create_directories(dir());
  ::chmod(dir().c_str(), 0700);
  { std::ofstream(dir() / "ledger.json") << "{not json"; }
  auto ledger = Ledger::open(dir(), 1s);
  ASSERT_FALSE(ledger.has_value());
  EXPECT_NE(ledger.error().message.find("corrupt ledger"), std::string::npos);
  std::ifstream in(dir() / "ledger.json");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "{not json");
}

TEST_F(LedgerDir, LeftoverTempFileFromACrashIsIgnored) {
  {
    auto ledger = Ledger::open(dir(), 1s);
    ASSERT_TRUE(ledger.has_value());
    ledger->data() = sample();
    ASSERT_TRUE(ledger->commit().has_value());
  }
  { std::ofstream(dir() / "ledger.json.tmp") << "{\"half\":"; }  // a crash mid-write
  auto ledger = Ledger::open(dir(), 1s);
  ASSERT_TRUE(ledger.has_value());
  EXPECT_EQ(ledger->data(), sample());
}

// Hook entries of 0.1 / 0.2 carry the relative root "hook"; they read as
// the absolute kHookRoot, so this version finds and releases them.
TEST(LedgerFormat, LegacyRelativeHookRootReadsAsTheAbsoluteOne) {
  LedgerData data;
  LedgerEntry e;
  e.runc_root = std::string(kLegacyHookRoot);
  e.container_id = "c1";
  e.cpus = CpuSet::of({3});
  data.entries.push_back(e);
  auto parsed = parse_ledger(serialize_ledger(data), "ledger.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->entries.size(), 1U);
  EXPECT_EQ(parsed->entries[0].runc_root, kHookRoot);
  EXPECT_EQ(kHookRoot.front(), '/');
  EXPECT_NE(serialize_ledger(*parsed).find("\"runc_root\": \"/run/runc-isolcpus/hook\""), std::string::npos);
}

// argv is bytes, not UTF-8: a --root or --bundle (and /proc's cgroup names)
// may hold any byte but NUL.  nlohmann's dump() throws on them (type_error
// 316), which made the call an "internal error" and left the container
// unrecorded.  Every text field round-trips byte for byte.
TEST(LedgerFormat, NonUtf8TextRoundTripsExactly) {
  LedgerData data;
  LedgerEntry e;
  e.runc_root = "/run/r\xff\xfe";
  e.container_id = "c1";
  e.bundle = std::string("/b/\xc3(\x80\xed\xa0\x80", 9);
  e.cgroups_path = "/k/\xe9t\xe9";
  e.cpus = CpuSet::of({3});
  e.state = EntryState::kIsolated;
  Isolation iso;
  iso.isolator = std::string(kIsolatorV2);
  iso.cgroup = "k/\xff";
  iso.cpus = e.cpus;
  iso.changes = V2Changes{{{"k\x80", CpuSet::of({3})}}};
  e.isolation = iso;
  e.problems = {"cannot write /cg/\xfe/cpuset.cpus"};
  data.entries.push_back(e);
  data.v1.balanced_cgroup = "bal\xff";
  data.v1.flag_changes.push_back({"k/\xff", true});
  std::string text;
  ASSERT_NO_THROW(text = serialize_ledger(data));
  auto parsed = parse_ledger(text, "ledger.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  // Problems are messages for people: kept in their display form.
  data.entries[0].problems = {"cannot write /cg/\xef\xbf\xbd/cpuset.cpus"};
  EXPECT_EQ(*parsed, data);
}

// Older versions read only the plain keys: there each value is valid UTF-8
// (the bytes with U+FFFD for what is not UTF-8), and a valid value is
// written exactly as before, with no extra key.
TEST(LedgerFormat, NonUtf8TextStaysReadableByOlderVersions) {
  LedgerData data;
  LedgerEntry e;
  e.runc_root = "/run/r\xff";
  e.container_id = "c1";
  e.bundle = "/b\xc3\xa9";  // valid UTF-8
  e.cpus = CpuSet::of({3});
  data.entries.push_back(e);
  const auto doc = nlohmann::json::parse(serialize_ledger(data));
  const auto& j = doc.at("entries").at(0);
  EXPECT_EQ(j.at("runc_root").get<std::string>(), "/run/r\xef\xbf\xbd");
  EXPECT_EQ(j.at("runc_root_hex").get<std::string>(), "2f72756e2f72ff");
  EXPECT_EQ(j.at("bundle").get<std::string>(), "/b\xc3\xa9");
  EXPECT_FALSE(j.contains("bundle_hex"));
  EXPECT_FALSE(j.contains("container_id_hex"));
}

}  // namespace
}  // namespace isolcpus
