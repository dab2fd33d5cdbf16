#include "isolcpus/marked_block.hpp"

#include <gtest/gtest.h>

namespace isolcpus {
namespace {

// Whatever the file looked like, taking the block out gives it back byte
// for byte: that is what `unconfigure` promises.
TEST(MarkedBlock, RemovingGivesBackTheExactBytes) {
  for (const std::string& original :
       {std::string(), std::string("version = 2\n"), std::string("version = 2"), std::string("a = 1\n\n\n"),
        std::string("# only a comment\n"), std::string("\n")}) {
    const std::string with = append_marked_block(original, "isolcpus", "[x]\n  k = 1\n");
    const auto span = find_marked_block(with, "isolcpus");
    ASSERT_TRUE(span.has_value()) << with;
    EXPECT_EQ(remove_marked_block(with, *span), original) << with;
    EXPECT_EQ(marked_block_body(with, *span), "[x]\n  k = 1\n");
  }
}

TEST(MarkedBlock, EachHandlerHasItsOwnBlock) {
  std::string text = append_marked_block("v = 1\n", "a", "[a]\n");
  text = append_marked_block(text, "b", "[b]\n");
  const auto a = find_marked_block(text, "a");
  const auto b = find_marked_block(text, "b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(marked_block_body(text, *a), "[a]\n");
  EXPECT_EQ(remove_marked_block(remove_marked_block(text, *b), *a), "v = 1\n");
  EXPECT_FALSE(find_marked_block(text, "c").has_value());
}

TEST(MarkedBlock, ABeginWithoutEndIsReportedByLine) {
  std::string text = append_marked_block("a = 1\n", "isolcpus", "[x]\n");
  text = text.substr(0, text.find("# END"));
  std::size_t broken = 0;
  EXPECT_FALSE(find_marked_block(text, "isolcpus", &broken).has_value());
  EXPECT_EQ(broken, 3U);
}

// A user's comment that merely mentions the marker is not the marker.
TEST(MarkedBlock, OnlyWholeMarkerLinesCount) {
  const std::string text = "# BEGIN runc-isolcpus handler \"isolcpus\": something else\n";
  EXPECT_FALSE(find_marked_block(text, "isolcpus").has_value());
}

}  // namespace
}  // namespace isolcpus
