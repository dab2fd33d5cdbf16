// Hostile config.json and `update -r` documents (issue 10's bad-input
// table): the exact message for each, naming the file and the key, and an
// answer in bounded time.  The wrapper logs these and passes the call to
// runc unisolated (decide_for_bundle), so the text is all an operator sees.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "fakes/temp_dir.hpp"
#include "isolcpus/container_spec.hpp"
#include "isolcpus/update_resources.hpp"

namespace isolcpus {
namespace {

struct BadCase {
  std::string name;
  std::string json;
  std::string message;  // exact, for origin "/b/config.json"
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

std::string cpus(std::string_view list) {
  return R"({"linux": {"resources": {"cpu": {"cpus": ")" + std::string(list) + R"("}}}})";
}

std::string nested(std::size_t depth, std::string_view open, std::string_view inner, std::string_view close) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) {
    out += open;
  }
  out += inner;
  for (std::size_t i = 0; i < depth; ++i) {
    out += close;
  }
  return out;
}

constexpr std::string_view kCpusKey = "/b/config.json: linux.resources.cpu.cpus: invalid CPU list ";

class HostileSpec : public ::testing::TestWithParam<BadCase> {};

TEST_P(HostileSpec, IsRefusedWithItsExactMessage) {
  const auto spec = parse_container_spec(GetParam().json, "/b/config.json");
  ASSERT_FALSE(spec.has_value());
  EXPECT_EQ(spec.error().message.substr(0, 400), GetParam().message.substr(0, 400));
  EXPECT_EQ(spec.error().message.size(), GetParam().message.size());
}

INSTANTIATE_TEST_SUITE_P(
    Table, HostileSpec,
    ::testing::Values(
        BadCase{"CpusUint32Max", cpus("0-4294967295"),
                std::string(kCpusKey) +
                    "\"0-4294967295\": CPU 4294967295 is beyond the kernel's limit of 8192 CPUs"},
        BadCase{
            "CpusNegative", cpus("-2"),
            std::string(kCpusKey) + "\"-2\": range \"-2\" has no first CPU (CPU numbers are never negative)"},
        BadCase{"CpusBlankInsideNumber", cpus("1 0"),
                std::string(kCpusKey) + "\"1 0\": \"1 0\" is not a CPU number"},
        BadCase{"Truncated", R"({"linux": )",
                "/b/config.json: invalid JSON: parse error at line 1, column 11: syntax error while parsing "
                "value "
                "- unexpected end of input; expected '[', '{', or a literal"},
        BadCase{"NotUtf8", "{\"annotations\": {\"a\": \"\xff\"}}",
                "/b/config.json: invalid JSON: parse error at line 1, column 24: syntax error while parsing "
                "value "
                "- invalid string: ill-formed UTF-8 byte; last read: '\"\xff'"},
        // A number no double holds: nlohmann throws out_of_range, not a parse
        // error, and the wrapper once reported it as an internal error.
        BadCase{"NumberOverflow", R"({"linux": {"resources": {"memory": {"limit": 1e999}}}})",
                "/b/config.json: invalid JSON: number overflow parsing '1e999'"},
        BadCase{"DeepArrays", nested(100'000, "[", "", "]"),
                "/b/config.json: (top level): expected an object, got array"},
        BadCase{"DeepCpuSection",
                R"({"linux": {"resources": {"cpu": )" + nested(100'000, "[", "1", "]") + "}}}",
                "/b/config.json: linux.resources.cpu: expected an object, got array"},
        BadCase{"DeepAnnotation", R"({"annotations": {"a": )" + nested(100'000, R"({"a": )", "1", "}") + "}}",
                "/b/config.json: annotations[\"a\"]: expected a string, got object (OCI annotations are "
                "string to "
                "string)"},
        BadCase{
            "HugeAnnotation",
            R"({"annotations": {"io.kubernetes.pod.name": ")" + std::string(kMaxAnnotationBytes + 1, 'p') +
                R"("}})",
            "/b/config.json: annotations[\"io.kubernetes.pod.name\"]: 65537 bytes, more than the 65536 "
            "runc-isolcpus reads (Kubernetes allows 262144 for all of a pod's annotations together); shorten "
            "it"},
        BadCase{"HugeAnnotationKey",
                R"({"annotations": {")" + std::string(kMaxAnnotationBytes + 1, 'k') + R"(": 1}})",
                "/b/config.json: annotations: a key of 65537 bytes, more than the 65536 runc-isolcpus reads; "
                "shorten it"}),
    [](const auto& row) { return row.param.name; });

TEST(HostileSpecTime, ManyAndLongAnnotationsReadInBoundedTime) {
  std::string json = R"({"annotations": {)";
  for (int i = 0; i < 20'000; ++i) {
    json += "\"key-" + std::to_string(i) + "\": \"" + std::string(100, 'v') + "\", ";
  }
  json += R"("long": ")" + std::string(kMaxAnnotationBytes, 'l') + R"("}})";
  const auto spec = parse_container_spec(json, "/b/config.json");
  ASSERT_TRUE(spec.has_value()) << spec.error().message.substr(0, 300);
  EXPECT_EQ(spec->annotations.size(), 20'001U);
}

TEST(HostileUpdate, NumberOverflowIsInvalidJson) {
  const auto cpus =
      parse_update_cpus(R"({"cpu": {"cpus": "1", "shares": 1e400}})", "update resources on stdin");
  ASSERT_FALSE(cpus.has_value());
  EXPECT_TRUE(cpus.error().message.starts_with("update resources on stdin: invalid JSON at byte 37: "))
      << cpus.error().message;
  EXPECT_NE(cpus.error().message.find("number overflow parsing '1e400'"), std::string::npos);
}

// runc hands cpu.cpus to the kernel, whose list parser skips empty items:
// "3,,4" moves the container to CPUs 3-4, so the wrapper must see that too.
TEST(HostileUpdate, EmptyItemsInACpuListAreSkippedAsTheKernelDoes) {
  const auto cpus = parse_update_cpus(R"({"cpu": {"cpus": "3,,4"}})", "/tmp/r.json");
  ASSERT_TRUE(cpus.has_value()) << cpus.error().message;
  ASSERT_TRUE(cpus->has_value());
  EXPECT_EQ((*cpus)->to_string(), "3-4");
}

// Not a file runc-isolcpus can read as the spec: refused at once, by name.
class HostileSpecFile : public ::testing::Test {
 protected:
  TempDir tmp;
  [[nodiscard]] std::string config() const { return (tmp / "bundle" / "config.json").string(); }
  [[nodiscard]] std::string refusal() const {
    const auto spec = read_container_spec(tmp / "bundle");
    EXPECT_FALSE(spec.has_value());
    return spec ? "" : spec.error().message;
  }
};

TEST_F(HostileSpecFile, Directory) {
  tmp.make_dirs("bundle/config.json");
  EXPECT_EQ(refusal(), config() + ": not a regular file; the container spec must be a plain JSON file");
}

TEST_F(HostileSpecFile, FifoIsNotWaitedOn) {
  tmp.make_dirs("bundle");
  ASSERT_EQ(::mkfifo(config().c_str(), 0600), 0);
  EXPECT_EQ(refusal(), config() + ": not a regular file; the container spec must be a plain JSON file");
}

TEST_F(HostileSpecFile, SymlinkToAFifo) {
  tmp.make_dirs("bundle");
  ASSERT_EQ(::mkfifo((tmp / "fifo").c_str(), 0600), 0);
  std::filesystem::create_symlink(tmp / "fifo", config());
  EXPECT_EQ(refusal(), config() + ": not a regular file; the container spec must be a plain JSON file");
}

TEST_F(HostileSpecFile, Missing) {
  tmp.make_dirs("bundle");
  EXPECT_EQ(
      refusal(),
      config() + ": cannot read the container spec: No such file or directory (is the bundle path right?)");
}

TEST_F(HostileSpecFile, OverSixteenMiB) {
  tmp.write_file("bundle/config.json", std::string(kMaxSpecBytes + 1, ' '));
  EXPECT_EQ(refusal(),
            config() + ": 16777217 bytes, more than the 16 MiB runc-isolcpus reads; not isolating");
}

TEST_F(HostileSpecFile, MalformedJsonNamesTheFile) {
  tmp.write_file("bundle/config.json", "{\"linux\": {\"resources\": {\"cpu\": {\"cpus\": \"2-\"}}}}");
  EXPECT_EQ(refusal(),
            config() + ": linux.resources.cpu.cpus: invalid CPU list \"2-\": range \"2-\" has no last CPU");
}

}  // namespace
}  // namespace isolcpus
