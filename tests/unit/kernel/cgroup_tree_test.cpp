#include "isolcpus/cgroup_tree.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

CgroupPath P(const char* text) { return *CgroupPath::parse(text); }

class CgroupTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write_file("mnt/cgroup.controllers", "cpuset cpu\n");
    dir_.write_file("mnt/a/b/cpuset.cpus", "0-3\n");
    dir_.make_dirs("mnt/a/c");
    dir_.write_file("outside/secret", "do not touch\n");
    tree_ = open_cgroup_tree(dir_ / "mnt");
  }
  TempDir dir_;
  std::unique_ptr<CgroupTree> tree_;
};

TEST_F(CgroupTreeTest, ReadsWholeFile) {
  auto content = tree_->read(P("a/b"), "cpuset.cpus");
  ASSERT_TRUE(content) << content.error().message;
  EXPECT_EQ(*content, "0-3\n");
  auto root = tree_->read(CgroupPath{}, "cgroup.controllers");
  ASSERT_TRUE(root);
  EXPECT_EQ(*root, "cpuset cpu\n");
}

TEST_F(CgroupTreeTest, ReadErrorNamesAbsolutePath) {
  auto content = tree_->read(P("a/b"), "missing");
  ASSERT_FALSE(content);
  EXPECT_NE(content.error().message.find((dir_ / "mnt/a/b/missing").string()), std::string::npos)
      << content.error().message;
  EXPECT_NE(content.error().message.find("No such file"), std::string::npos) << content.error().message;
}

TEST_F(CgroupTreeTest, WriteReplacesExactBytes) {
  ASSERT_TRUE(tree_->write(P("a/b"), "cpuset.cpus", "2"));
  EXPECT_EQ(dir_.read_file("mnt/a/b/cpuset.cpus"), "2");
  ASSERT_TRUE(tree_->write(P("a/b"), "cpuset.cpus", "\n"));
  EXPECT_EQ(dir_.read_file("mnt/a/b/cpuset.cpus"), "\n");
}

TEST_F(CgroupTreeTest, WriteDoesNotCreateFiles) {
  auto result = tree_->write(P("a/b"), "cpuset.cpus.exclusive", "1");
  ASSERT_FALSE(result);
  EXPECT_FALSE(dir_.exists("mnt/a/b/cpuset.cpus.exclusive"));
  EXPECT_NE(result.error().message.find((dir_ / "mnt/a/b/cpuset.cpus.exclusive").string()),
            std::string::npos);
}

TEST_F(CgroupTreeTest, ExistsAndHasFile) {
  EXPECT_TRUE(tree_->exists(CgroupPath{}));
  EXPECT_TRUE(tree_->exists(P("a/b")));
  EXPECT_FALSE(tree_->exists(P("a/x")));
  EXPECT_TRUE(tree_->has_file(P("a/b"), "cpuset.cpus"));
  EXPECT_FALSE(tree_->has_file(P("a/b"), "cpuset.mems"));
  EXPECT_FALSE(tree_->has_file(P("a"), "b"));  // a directory is not a file
  EXPECT_FALSE(tree_->has_file(P("a/b"), "../b/cpuset.cpus"));
}

TEST_F(CgroupTreeTest, RejectsBadFileNames) {
  EXPECT_FALSE(tree_->read(P("a"), "../a/b/cpuset.cpus"));
  EXPECT_FALSE(tree_->read(P("a"), ""));
  EXPECT_FALSE(tree_->write(P("a"), "..", "x"));
}

TEST_F(CgroupTreeTest, MakeRemoveChildren) {
  ASSERT_TRUE(tree_->make(P("a/d")));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "mnt/a/d"));
  std::filesystem::create_directory_symlink(dir_ / "outside", dir_ / "mnt/a/link");
  std::vector<std::string> names;
  for (const auto& child : tree_->children(P("a"))) {
    names.push_back(child.str());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a/b", "a/c", "a/d"}));  // no symlink
  ASSERT_TRUE(tree_->remove(P("a/d")));
  EXPECT_FALSE(dir_.exists("mnt/a/d"));
  auto again = tree_->remove(P("a/d"));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("a/d"), std::string::npos);
  EXPECT_FALSE(tree_->make(P("a/b")));  // already exists
  EXPECT_FALSE(tree_->make(CgroupPath{}));
  EXPECT_FALSE(tree_->remove(CgroupPath{}));
  EXPECT_TRUE(tree_->children(P("nope")).empty());
}

TEST_F(CgroupTreeTest, SymlinkCannotLeadOutside) {
  std::filesystem::create_directory_symlink(dir_ / "outside", dir_ / "mnt/a/escape");
  EXPECT_FALSE(tree_->exists(P("a/escape")));
  auto content = tree_->read(P("a/escape"), "secret");
  ASSERT_FALSE(content);
  EXPECT_NE(content.error().message.find("symlink"), std::string::npos) << content.error().message;
  EXPECT_FALSE(tree_->write(P("a/escape"), "secret", "pwned"));
  EXPECT_EQ(dir_.read_file("outside/secret"), "do not touch\n");
  EXPECT_FALSE(tree_->make(P("a/escape/new")));
  EXPECT_FALSE(dir_.exists("outside/new"));
}

TEST_F(CgroupTreeTest, SymlinkedFileIsNotFollowed) {
  std::filesystem::create_symlink(dir_ / "outside/secret", dir_ / "mnt/a/cpuset.cpus");
  EXPECT_FALSE(tree_->has_file(P("a"), "cpuset.cpus"));
  EXPECT_FALSE(tree_->read(P("a"), "cpuset.cpus"));
  EXPECT_FALSE(tree_->write(P("a"), "cpuset.cpus", "pwned"));
  EXPECT_EQ(dir_.read_file("outside/secret"), "do not touch\n");
}

TEST_F(CgroupTreeTest, DescribeGivesAbsolutePath) {
  EXPECT_EQ(tree_->describe(P("a/b"), "cpuset.cpus"), (dir_ / "mnt/a/b/cpuset.cpus").string());
  EXPECT_EQ(tree_->describe(CgroupPath{}, "cgroup.subtree_control"),
            (dir_ / "mnt/cgroup.subtree_control").string());
}

TEST(CgroupTreeMissingMount, ErrorsNameTheMount) {
  auto tree = open_cgroup_tree("/nonexistent/isolcpus-mount");
  EXPECT_FALSE(tree->exists(CgroupPath{}));
  auto content = tree->read(CgroupPath{}, "cgroup.controllers");
  ASSERT_FALSE(content);
  EXPECT_NE(content.error().message.find("/nonexistent/isolcpus-mount"), std::string::npos);
}

}  // namespace
}  // namespace isolcpus
