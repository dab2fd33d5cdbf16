#include "isolcpus/line_diff.hpp"

#include <gtest/gtest.h>

namespace isolcpus {
namespace {

TEST(UnifiedDiff, EqualTextsHaveNoDiff) { EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "f"), ""); }

// What `diff -u` prints for the same change (checked by hand against
// diffutils 3.8): an appended block with three lines of context.
TEST(UnifiedDiff, AnAppendedBlock) {
  EXPECT_EQ(unified_diff("1\n2\n3\n4\n5\n", "1\n2\n3\n4\n5\nx\ny\n", "config.toml"),
            "--- config.toml\n+++ config.toml (configured)\n@@ -3,3 +3,5 @@\n 3\n 4\n 5\n+x\n+y\n");
}

TEST(UnifiedDiff, AReplacedLineInTheMiddle) {
  EXPECT_EQ(unified_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nX\n6\n7\n8\n9\n", "f"),
            "--- f\n+++ f (configured)\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n");
}

TEST(UnifiedDiff, FromNothingAndAMissingFinalNewline) {
  EXPECT_EQ(unified_diff("", "a\n", "f"), "--- f\n+++ f (configured)\n@@ -0,0 +1 @@\n+a\n");
  EXPECT_EQ(unified_diff("a", "a\nb\n", "f"),
            "--- f\n+++ f (configured)\n@@ -1 +1,2 @@\n-a\n\\ No newline at end of file\n+a\n+b\n");
}

}  // namespace
}  // namespace isolcpus
