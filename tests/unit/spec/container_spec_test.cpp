// config.json -> ContainerSpec: samples shaped like what containerd's CRI
// plugin, CRI-O and `runc spec` write, and every way a field can be wrong.
#include "isolcpus/container_spec.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

// Trimmed from a containerd 1.6 CRI container (Guaranteed pod, 2 CPUs).
constexpr std::string_view kContainerdSpec = R"({
  "ociVersion": "1.0.2-dev",
  "process": {"user": {"uid": 0, "gid": 0}, "args": ["sleep", "inf"], "cwd": "/"},
  "root": {"path": "rootfs"},
  "annotations": {
    "io.kubernetes.cri.container-type": "container",
    "io.kubernetes.cri.container-name": "dpdk",
    "io.kubernetes.cri.image-name": "docker.io/library/busybox:latest",
    "io.kubernetes.cri.sandbox-id": "6f1c0a",
    "io.kubernetes.cri.sandbox-name": "telco-pod",
    "io.kubernetes.cri.sandbox-namespace": "telco",
    "io.kubernetes.cri.sandbox-uid": "1b2c-3d",
    "cpu-load-balancing.crio.io": "disable"
  },
  "linux": {
    "resources": {
      "devices": [{"allow": false, "access": "rwm"}],
      "memory": {"limit": 268435456, "swap": 268435456},
      "cpu": {"shares": 2048, "quota": 200000, "period": 100000, "cpus": "2-3", "mems": "0"}
    },
    "cgroupsPath": "/kubepods/pod1b2c-3d/0123abcd",
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/42/ns/net"}]
  }
})";

// Trimmed from a CRI-O 1.26 container, systemd cgroup manager.
constexpr std::string_view kCrioSpec = R"({
  "ociVersion": "1.0.2-dev",
  "annotations": {
    "io.kubernetes.cri-o.ContainerType": "container",
    "io.kubernetes.cri-o.Name": "k8s_app_rt-pod_rt_1b2c_0",
    "io.kubernetes.pod.namespace": "rt",
    "io.kubernetes.pod.name": "rt-pod",
    "io.kubernetes.container.name": "app",
    "cpu-load-balancing.crio.io": "disable",
    "cpu-load-balancing.crio.io/app": "disable"
  },
  "linux": {
    "resources": {"cpu": {"shares": 4096, "quota": 400000, "period": 100000, "cpus": "4-5,8,9", "mems": "0-1"}},
    "cgroupsPath": "kubepods-pod1b2c.slice:crio:deadbeef"
  }
})";

// What `runc spec` writes: no resources.cpu, no cgroupsPath, no annotations.
constexpr std::string_view kRuncSpec = R"({
  "ociVersion": "1.0.2-dev",
  "process": {"terminal": true, "args": ["sh"]},
  "root": {"path": "rootfs", "readonly": true},
  "linux": {"resources": {"devices": [{"allow": false, "access": "rwm"}]}, "namespaces": [{"type": "pid"}]}
})";

TEST(ParseContainerSpec, ContainerdShaped) {
  auto spec = parse_container_spec(kContainerdSpec, "bundle/config.json");
  ASSERT_TRUE(spec) << spec.error().message;
  ASSERT_TRUE(spec->cpus);
  EXPECT_EQ(*spec->cpus, CpuSet::range(2, 3));
  ASSERT_TRUE(spec->mems);
  EXPECT_EQ(*spec->mems, CpuSet::of({0}));
  EXPECT_EQ(spec->shares, 2048U);
  EXPECT_EQ(spec->quota, 200000);
  EXPECT_EQ(spec->period, 100000U);
  EXPECT_EQ(spec->cgroups_path, "/kubepods/pod1b2c-3d/0123abcd");
  EXPECT_EQ(spec->annotations.size(), 8U);
  EXPECT_EQ(spec->annotations.at("io.kubernetes.cri.sandbox-namespace"), "telco");
  EXPECT_EQ(spec->annotations.at("cpu-load-balancing.crio.io"), "disable");
}

TEST(ParseContainerSpec, CrioShaped) {
  auto spec = parse_container_spec(kCrioSpec, "config.json");
  ASSERT_TRUE(spec) << spec.error().message;
  ASSERT_TRUE(spec->cpus);
  EXPECT_EQ(*spec->cpus, CpuSet::of({4, 5, 8, 9}));
  EXPECT_EQ(*spec->mems, CpuSet::range(0, 1));
  EXPECT_EQ(spec->shares, 4096U);
  EXPECT_EQ(spec->quota, 400000);
  EXPECT_EQ(spec->period, 100000U);
  EXPECT_EQ(spec->cgroups_path, "kubepods-pod1b2c.slice:crio:deadbeef");
  EXPECT_EQ(spec->annotations.at("io.kubernetes.container.name"), "app");
  EXPECT_EQ(spec->annotations.at("cpu-load-balancing.crio.io/app"), "disable");
}

TEST(ParseContainerSpec, RuncSpecHasNothingWeNeed) {
  auto spec = parse_container_spec(kRuncSpec, "config.json");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_FALSE(spec->cpus);
  EXPECT_FALSE(spec->mems);
  EXPECT_FALSE(spec->shares);
  EXPECT_FALSE(spec->quota);
  EXPECT_FALSE(spec->period);
  EXPECT_EQ(spec->cgroups_path, "");
  EXPECT_TRUE(spec->annotations.empty());
}

struct OkCase {
  std::string name;
  std::string json;
  std::optional<CpuSet> cpus;
  std::optional<std::uint64_t> shares;
  std::optional<std::int64_t> quota;
};
void PrintTo(const OkCase& c, std::ostream* os) { *os << c.name; }

class ParseOk : public ::testing::TestWithParam<OkCase> {};

TEST_P(ParseOk, Parses) {
  const auto& c = GetParam();
  auto spec = parse_container_spec(c.json, "x.json");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->cpus, c.cpus);
  EXPECT_EQ(spec->shares, c.shares);
  EXPECT_EQ(spec->quota, c.quota);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseOk,
    ::testing::Values(
        OkCase{"EmptyObject", "{}", std::nullopt, std::nullopt, std::nullopt},
        OkCase{"NoResources", R"({"linux": {}})", std::nullopt, std::nullopt, std::nullopt},
        OkCase{"NoCpu", R"({"linux": {"resources": {}}})", std::nullopt, std::nullopt, std::nullopt},
        OkCase{"EmptyCpu", R"({"linux": {"resources": {"cpu": {}}}})", std::nullopt, std::nullopt,
               std::nullopt},
        OkCase{"EmptyCpus", R"({"linux": {"resources": {"cpu": {"cpus": ""}}}})", std::nullopt, std::nullopt,
               std::nullopt},
        OkCase{"NullCpus", R"({"linux": {"resources": {"cpu": {"cpus": null}}}})", std::nullopt, std::nullopt,
               std::nullopt},
        OkCase{"NullSections", R"({"linux": {"resources": null}, "annotations": null})", std::nullopt,
               std::nullopt, std::nullopt},
        OkCase{"SingleCpu", R"({"linux": {"resources": {"cpu": {"cpus": "7"}}}})", CpuSet::of({7}),
               std::nullopt, std::nullopt},
        OkCase{"CpusWithNewline", R"({"linux": {"resources": {"cpu": {"cpus": "1-2\n"}}}})",
               CpuSet::range(1, 2), std::nullopt, std::nullopt},
        OkCase{"NegativeQuotaMeansUnlimited", R"({"linux": {"resources": {"cpu": {"quota": -1}}}})",
               std::nullopt, std::nullopt, std::int64_t{-1}},
        OkCase{"ZeroShares", R"({"linux": {"resources": {"cpu": {"shares": 0}}}})", std::nullopt,
               std::uint64_t{0}, std::nullopt},
        OkCase{"HugeShares", R"({"linux": {"resources": {"cpu": {"shares": 18446744073709551615}}}})",
               std::nullopt, std::uint64_t{18446744073709551615ULL}, std::nullopt},
        OkCase{
            "UnknownFieldsIgnored",
            R"({"linux": {"resources": {"cpu": {"cpus": "0", "realtimeRuntime": 5, "idle": 1}}}, "x": [1]})",
            CpuSet::of({0}), std::nullopt, std::nullopt}),
    [](const auto& row) { return row.param.name; });

struct ErrCase {
  std::string name;
  std::string json;
  std::string message;  // exact, with origin "x.json"
};
void PrintTo(const ErrCase& c, std::ostream* os) { *os << c.name; }

class ParseError : public ::testing::TestWithParam<ErrCase> {};

TEST_P(ParseError, NamesOriginAndField) {
  const auto& c = GetParam();
  auto spec = parse_container_spec(c.json, "x.json");
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseError,
    ::testing::Values(
        ErrCase{"TopLevelArray", "[]", "x.json: (top level): expected an object, got array"},
        ErrCase{"TopLevelString", R"("x")", "x.json: (top level): expected an object, got string"},
        ErrCase{"LinuxNotObject", R"({"linux": 1})", "x.json: linux: expected an object, got number"},
        ErrCase{"ResourcesNotObject", R"({"linux": {"resources": []}})",
                "x.json: linux.resources: expected an object, got array"},
        ErrCase{"CpuNotObject", R"({"linux": {"resources": {"cpu": "2-3"}}})",
                "x.json: linux.resources.cpu: expected an object, got string"},
        ErrCase{"CpusNumber", R"({"linux": {"resources": {"cpu": {"cpus": 3}}}})",
                "x.json: linux.resources.cpu.cpus: expected a string, got number"},
        ErrCase{"CpusArray", R"({"linux": {"resources": {"cpu": {"cpus": [2, 3]}}}})",
                "x.json: linux.resources.cpu.cpus: expected a string, got array"},
        ErrCase{"MemsBool", R"({"linux": {"resources": {"cpu": {"mems": true}}}})",
                "x.json: linux.resources.cpu.mems: expected a string, got boolean"},
        ErrCase{"SharesString", R"({"linux": {"resources": {"cpu": {"shares": "1024"}}}})",
                "x.json: linux.resources.cpu.shares: expected a non-negative integer, got string"},
        ErrCase{"SharesFloat", R"({"linux": {"resources": {"cpu": {"shares": 1024.5}}}})",
                "x.json: linux.resources.cpu.shares: expected a non-negative integer, got number"},
        ErrCase{"SharesNegative", R"({"linux": {"resources": {"cpu": {"shares": -2}}}})",
                "x.json: linux.resources.cpu.shares: expected a non-negative integer, got -2"},
        ErrCase{"QuotaString", R"({"linux": {"resources": {"cpu": {"quota": "max"}}}})",
                "x.json: linux.resources.cpu.quota: expected an integer, got string"},
        ErrCase{
            "QuotaTooBig", R"({"linux": {"resources": {"cpu": {"quota": 9223372036854775808}}}})",
            "x.json: linux.resources.cpu.quota: 9223372036854775808 does not fit a signed 64-bit integer"},
        ErrCase{"PeriodNegative", R"({"linux": {"resources": {"cpu": {"period": -100000}}}})",
                "x.json: linux.resources.cpu.period: expected a non-negative integer, got -100000"},
        ErrCase{"PeriodObject", R"({"linux": {"resources": {"cpu": {"period": {}}}}})",
                "x.json: linux.resources.cpu.period: expected a non-negative integer, got object"},
        ErrCase{"CgroupsPathNumber", R"({"linux": {"cgroupsPath": 5}})",
                "x.json: linux.cgroupsPath: expected a string, got number"},
        ErrCase{"AnnotationsArray", R"({"annotations": ["a"]})",
                "x.json: annotations: expected an object, got array"},
        ErrCase{"AnnotationValueBool", R"({"annotations": {"ok": "x", "cpu-load-balancing.crio.io": true}})",
                "x.json: annotations[\"cpu-load-balancing.crio.io\"]: expected a string, got boolean (OCI "
                "annotations are string to string)"},
        ErrCase{"AnnotationValueNull", R"({"annotations": {"a": null}})",
                "x.json: annotations[\"a\"]: expected a string, got null (OCI annotations are string to "
                "string)"}),
    [](const auto& row) { return row.param.name; });

// The CPU list's own error text belongs to CpuSet; we check that the field,
// the origin and the offending text are named.
struct BadListCase {
  std::string name;
  std::string json;
  std::string field;
  std::string text;
};
void PrintTo(const BadListCase& c, std::ostream* os) { *os << c.name; }

class BadCpuList : public ::testing::TestWithParam<BadListCase> {};

TEST_P(BadCpuList, NamesFieldAndText) {
  const auto& c = GetParam();
  auto spec = parse_container_spec(c.json, "x.json");
  ASSERT_FALSE(spec);
  const auto& msg = spec.error().message;
  EXPECT_EQ(msg.rfind("x.json: " + c.field + ": invalid CPU list \"" + c.text + "\": ", 0), 0U) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadCpuList,
    ::testing::Values(BadListCase{"Junk", R"({"linux": {"resources": {"cpu": {"cpus": "abc"}}}})",
                                  "linux.resources.cpu.cpus", "abc"},
                      BadListCase{"Reversed", R"({"linux": {"resources": {"cpu": {"cpus": "3-1"}}}})",
                                  "linux.resources.cpu.cpus", "3-1"},
                      BadListCase{"TooBig", R"({"linux": {"resources": {"cpu": {"cpus": "0-99999"}}}})",
                                  "linux.resources.cpu.cpus", "0-99999"},
                      BadListCase{"Negative", R"({"linux": {"resources": {"cpu": {"cpus": "-1"}}}})",
                                  "linux.resources.cpu.cpus", "-1"},
                      BadListCase{"MemsJunk",
                                  R"({"linux": {"resources": {"cpu": {"cpus": "1", "mems": "0,x"}}}})",
                                  "linux.resources.cpu.mems", "0,x"}),
    [](const auto& row) { return row.param.name; });

TEST(ParseContainerSpec, InvalidJsonNamesOriginAndPosition) {
  auto spec = parse_container_spec("{\"linux\": {,}", "/b/config.json");
  ASSERT_FALSE(spec);
  const auto& msg = spec.error().message;
  EXPECT_EQ(msg.rfind("/b/config.json: invalid JSON: ", 0), 0U) << msg;
  EXPECT_NE(msg.find("line 1, column 12"), std::string::npos) << msg;
}

TEST(ParseContainerSpec, EmptyTextIsInvalidJson) {
  auto spec = parse_container_spec("", "c.json");
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message.rfind("c.json: invalid JSON: ", 0), 0U) << spec.error().message;
}

TEST(ReadContainerSpec, ReadsBundleConfigJson) {
  TempDir dir;
  dir.write_file("bundle/config.json", kCrioSpec);
  auto spec = read_container_spec(dir / "bundle");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(*spec->cpus, CpuSet::of({4, 5, 8, 9}));
}

TEST(ReadContainerSpec, ErrorsCarryThePath) {
  TempDir dir;
  dir.write_file("bundle/config.json", R"({"linux": {"cgroupsPath": []}})");
  auto spec = read_container_spec(dir / "bundle");
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message,
            (dir / "bundle" / "config.json").string() + ": linux.cgroupsPath: expected a string, got array");
}

TEST(ReadContainerSpec, MissingFileNamesPathAndErrno) {
  TempDir dir;
  auto spec = read_container_spec(dir / "nope");
  ASSERT_FALSE(spec);
  const auto& msg = spec.error().message;
  EXPECT_NE(msg.find((dir / "nope" / "config.json").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
}

TEST(ReadContainerSpec, DirectoryInsteadOfFileIsRefusedByName) {
  TempDir dir;
  dir.make_dirs("bundle/config.json");
  auto spec = read_container_spec(dir / "bundle");
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message.find("config.json: not a regular file"), std::string::npos)
      << spec.error().message;
}

// A FIFO as config.json would block a plain open(2)+read(2) forever.
TEST(ReadContainerSpec, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  dir.make_dirs("bundle");
  ASSERT_EQ(::mkfifo((dir / "bundle" / "config.json").c_str(), 0600), 0);
  auto spec = read_container_spec(dir / "bundle");
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message.find("not a regular file"), std::string::npos) << spec.error().message;
}

TEST(ReadContainerSpec, OversizedSpecIsRefusedWithItsSize) {
  TempDir dir;
  dir.write_file("bundle/config.json", std::string(kMaxSpecBytes + 1, ' '));
  auto spec = read_container_spec(dir / "bundle");
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message.find("more than the 16 MiB"), std::string::npos) << spec.error().message;
}

}  // namespace
}  // namespace isolcpus
