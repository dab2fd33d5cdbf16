// UTF-8 as Go's utf8.DecodeRune accepts it (RFC 3629), and the display form.
#include "isolcpus/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace isolcpus {
namespace {

TEST(Utf8, AcceptsWellFormedSequencesOnly) {
  for (const std::string ok : {"", "ascii", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                               "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80"}) {
    EXPECT_TRUE(is_utf8(ok)) << ok;
  }
  for (const std::string bad :
       {"\xff", "\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf0\x80\x80\xaf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xc3", "\xe2\x82"}) {
    EXPECT_FALSE(is_utf8(bad)) << "accepted " << ::testing::PrintToString(bad);
  }
}

TEST(Utf8, DisplayReplacesEachBadByte) {
  EXPECT_EQ(utf8_for_display("a\xff"
                             "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(utf8_for_display("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");  // a cut sequence: one per byte
  EXPECT_EQ(utf8_for_display("\xc3\xa9"), "\xc3\xa9");
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x98\x80", 0), 4U);
  EXPECT_EQ(utf8_sequence_length("x", 5), 0U);
}

}  // namespace
}  // namespace isolcpus
