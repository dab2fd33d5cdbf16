#include <gtest/gtest.h>

#include "isolcpus/config.hpp"

namespace isolcpus {
namespace {

using Kind = RuntimeKey::Kind;

struct ScanCase {
  const char* name;
  const char* text;
  Kind kind;
  const char* path;
};

class ScanRuntimeKey : public ::testing::TestWithParam<ScanCase> {};

TEST_P(ScanRuntimeKey, ReadsOnlyThePlainForm) {
  const auto& c = GetParam();
  const RuntimeKey key = scan_runtime_key(c.text);
  EXPECT_EQ(key.kind, c.kind);
  EXPECT_EQ(key.path, c.path);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ScanRuntimeKey,
    ::testing::Values(
        ScanCase{"Empty", "", Kind::kAbsent, ""},
        ScanCase{"OtherKeys", "mode = \"always\"\nstate_dir = \"/run/x\"\n", Kind::kAbsent, ""},
        ScanCase{"Plain", "runtime = \"/usr/bin/runc\"\n", Kind::kFound, "/usr/bin/runc"},
        ScanCase{"NoNewline", "runtime=\"/usr/bin/runc\"", Kind::kFound, "/usr/bin/runc"},
        ScanCase{"Indented", "  \truntime   =   \"/opt/runc\"   # the real one\n", Kind::kFound, "/opt/runc"},
        ScanCase{"AmongOthers", "# runtime = \"/commented\"\nmode = \"never\"\nruntime = \"/a b/runc\"\n",
                 Kind::kFound, "/a b/runc"},
        ScanCase{"Relative", "runtime = \"runc\"\n", Kind::kUnsure, ""},
        ScanCase{"EmptyValue", "runtime = \"\"\n", Kind::kUnsure, ""},
        ScanCase{"Escapes", "runtime = \"/usr/bin/r\\u0075nc\"\n", Kind::kUnsure, ""},
        ScanCase{"Literal", "runtime = '/usr/bin/runc'\n", Kind::kUnsure, ""},
        ScanCase{"TrailingJunk", "runtime = \"/usr/bin/runc\" x\n", Kind::kUnsure, ""},
        ScanCase{"Unterminated", "runtime = \"/usr/bin/runc\n", Kind::kUnsure, ""},
        ScanCase{"Twice", "runtime = \"/a\"\nruntime = \"/b\"\n", Kind::kUnsure, ""},
        ScanCase{"DottedKey", "runtime.path = \"/a\"\n", Kind::kUnsure, ""},
        ScanCase{"LongerKey", "runtimes = \"/a\"\n", Kind::kUnsure, ""},
        ScanCase{"QuotedKey", "\"runtime\" = \"/a\"\n", Kind::kUnsure, ""},
        ScanCase{"Table", "runtime = \"/a\"\n[extra]\nx = 1\n", Kind::kUnsure, ""},
        ScanCase{"MultiLineString", "log_file = \"\"\"\nruntime = \"/fake\"\n\"\"\"\n", Kind::kUnsure, ""},
        ScanCase{"CarriageReturn", "runtime = \"/a\"\r\n", Kind::kUnsure, ""},
        // Found by the config fuzzer: toml++ skips a UTF-8 byte order mark,
        // the scan read it as part of the first key and answered kAbsent.
        ScanCase{"ByteOrderMark", "\xEF\xBB\xBFruntime = \"/opt/runc\"\n", Kind::kFound, "/opt/runc"},
        ScanCase{"ByteOrderMarkElsewhere", "mode = \"never\"\n\xEF\xBB\xBFruntime = \"/a\"\n", Kind::kAbsent,
                 ""}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// Whatever the scanner finds, the full parser must find too: the pass-through
// path and the lifecycle path must exec the same runc.
TEST(ScanRuntimeKey, AgreesWithTheFullParser) {
  for (const char* text : {"runtime = \"/usr/bin/runc\"\n", "mode = \"never\"\nruntime = \"/opt/runc\" # x\n",
                           "runtime = \"/opt/runc\"\nmode = \"sometimes\"\n",
                           "runtime = \"/opt/runc\"\nmode = = \"broken syntax\"\n", "mode = \"never\"\n",
                           "\xEF\xBB\xBFruntime = \"/opt/runc\"\n"}) {
    const RuntimeKey key = scan_runtime_key(text);
    ASSERT_NE(key.kind, Kind::kUnsure) << text;
    EXPECT_EQ(parse_config(text, "c.toml").config.runtime, key.path) << text;
  }
}

}  // namespace
}  // namespace isolcpus
