#include "isolcpus/text.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

TEST(Text, TrimDropsBlanksAtBothEndsOnly) {
  EXPECT_EQ(trim(" \t0-3 , 5\r\n"), "0-3 , 5");
  EXPECT_EQ(trim("member"), "member");
  EXPECT_EQ(trim(" \n\t "), "");
  EXPECT_EQ(trim(""), "");
}

TEST(Text, TrimRightDropsWhatKernelFilesEndWith) {
  EXPECT_EQ(trim_right("0-3\n"), "0-3");
  EXPECT_EQ(trim_right("isolated \t\r\n"), "isolated");
  EXPECT_EQ(trim_right("  lead kept"), "  lead kept");
  EXPECT_EQ(trim_right("\n"), "");
  EXPECT_EQ(trim_right(""), "");
}

TEST(Text, QuoteStringEscapesForJsonAndToml) {
  EXPECT_EQ(quote_string("plain"), "\"plain\"");
  EXPECT_EQ(quote_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quote_string("l1\nl2\tx\r"), "\"l1\\nl2\\tx\\r\"");
  EXPECT_EQ(quote_string(std::string("\x01\x7f", 2)), "\"\\u0001\\u007f\"");
  EXPECT_EQ(quote_string("ünïcode"), "\"ünïcode\"") << "UTF-8 passes as is";
  // JSON and TOML are UTF-8: a byte that is not (a --root, a cgroup name)
  // becomes U+FFFD, as Go's json.Marshal writes it in runc's own log.
  EXPECT_EQ(quote_string("/run/r\xff\xc3("), "\"/run/r\xef\xbf\xbd\xef\xbf\xbd(\"");
}

TEST(Text, ReadFileTextReportsErrno) {
  TempDir tmp;
  tmp.write_file("f", std::string(20000, 'x') + "end");
  const FileText ok = read_file_text(tmp / "f");
  EXPECT_EQ(ok.error, 0);
  EXPECT_EQ(ok.text.size(), 20003u) << "larger than one read buffer";
  EXPECT_EQ(read_file_text(tmp / "missing").error, ENOENT);
  EXPECT_EQ(read_file_text(tmp.path()).error, EISDIR);
  std::filesystem::create_symlink(tmp / "f", tmp / "link");
  EXPECT_EQ(read_file_text(tmp / "link").error, 0);
  EXPECT_EQ(read_file_text(tmp / "link", /*no_follow=*/true).error, ELOOP);
  EXPECT_EQ(read_file_if_any(tmp / "missing"), std::nullopt);
  EXPECT_EQ(read_file_if_any(tmp / "f")->substr(20000), "end");
}

}  // namespace
}  // namespace isolcpus
