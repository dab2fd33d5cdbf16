#include "isolcpus/cgroup_path.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace isolcpus {
namespace {

struct ParseCase {
  std::string input;
  bool ok;
  std::string str;
};

class CgroupPathParse : public ::testing::TestWithParam<ParseCase> {};

TEST_P(CgroupPathParse, AcceptsOrRejects) {
  const ParseCase& c = GetParam();
  auto path = CgroupPath::parse(c.input);
  ASSERT_EQ(path.has_value(), c.ok) << (path ? path->str() : path.error().message);
  if (c.ok) {
    EXPECT_EQ(path->str(), c.str);
  } else {
    EXPECT_NE(path.error().message.find("invalid cgroup path"), std::string::npos) << path.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, CgroupPathParse,
    ::testing::Values(ParseCase{"", true, ""}, ParseCase{"/", true, ""}, ParseCase{"a", true, "a"},
                      ParseCase{"/a/b/c", true, "a/b/c"}, ParseCase{"a/b/c/", true, "a/b/c"},
                      ParseCase{"//a/b//", true, "a/b"},
                      ParseCase{"kubepods/burstable/pod1/abc", true, "kubepods/burstable/pod1/abc"},
                      ParseCase{"a//b", false, ""}, ParseCase{"a/../b", false, ""},
                      ParseCase{"..", false, ""}, ParseCase{"/a/.", false, ""}, ParseCase{"./a", false, ""},
                      ParseCase{std::string("a\0b", 3), false, ""},
                      ParseCase{std::string(256, 'x'), false, ""},
                      ParseCase{std::string(255, 'x'), true, std::string(255, 'x')}));

TEST(CgroupPath, RootProperties) {
  CgroupPath root;
  EXPECT_TRUE(root.is_root());
  EXPECT_EQ(root.str(), "");
  EXPECT_TRUE(root.ancestors().empty());
  EXPECT_EQ(root.parent(), root);
}

TEST(CgroupPath, ParentChildAncestors) {
  auto path = CgroupPath::parse("a/b/c");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->parent().str(), "a/b");
  EXPECT_EQ(path->parent().child("x").str(), "a/b/x");
  std::vector<std::string> anc;
  for (const auto& a : path->ancestors()) {
    anc.push_back(a.str());
  }
  EXPECT_EQ(anc, (std::vector<std::string>{"a", "a/b"}));
  EXPECT_EQ(path->parts(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(path->is_root());
}

TEST(CgroupPath, IsWithin) {
  auto abc = *CgroupPath::parse("a/b/c");
  EXPECT_TRUE(abc.is_within(*CgroupPath::parse("a/b/c")));
  EXPECT_TRUE(abc.is_within(*CgroupPath::parse("a/b")));
  EXPECT_TRUE(abc.is_within(CgroupPath{}));
  EXPECT_FALSE(abc.is_within(*CgroupPath::parse("a/bb")));
  EXPECT_FALSE(abc.is_within(*CgroupPath::parse("a/b/c/d")));
  EXPECT_FALSE(CgroupPath{}.is_within(abc));
}

struct FromCase {
  std::string cgroups_path;
  bool systemd;
  std::string id;
  bool ok;
  std::string expected;  // path, or a fragment of the error message
};

class CgroupsPathMapping : public ::testing::TestWithParam<FromCase> {};

TEST_P(CgroupsPathMapping, Maps) {
  const FromCase& c = GetParam();
  auto path = cgroup_from_cgroups_path(c.cgroups_path, c.systemd, c.id, CgroupPath{});
  ASSERT_EQ(path.has_value(), c.ok) << (path ? path->str() : path.error().message);
  if (c.ok) {
    EXPECT_EQ(path->str(), c.expected);
  } else {
    EXPECT_NE(path.error().message.find(c.expected), std::string::npos) << path.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cgroupfs, CgroupsPathMapping,
    ::testing::Values(FromCase{"/kubepods/pod1/abc", false, "abc", true, "kubepods/pod1/abc"},
                      FromCase{"kubepods/pod1/abc", false, "abc", true, "kubepods/pod1/abc"},
                      FromCase{"", false, "mycontainer", true, "mycontainer"},
                      FromCase{"/a/../../etc", false, "x", false, "not allowed"},
                      FromCase{"", false, "..", false, "container id"},
                      FromCase{"", false, "a/b", false, "container id"}));

INSTANTIATE_TEST_SUITE_P(
    Systemd, CgroupsPathMapping,
    ::testing::Values(FromCase{"kubepods-besteffort-pod123.slice:cri-containerd:abc", true, "abc", true,
                               "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod123.slice/"
                               "cri-containerd-abc.scope"},
                      FromCase{"kubepods-pod1.slice:cri-containerd:abc", true, "abc", true,
                               "kubepods.slice/kubepods-pod1.slice/cri-containerd-abc.scope"},
                      FromCase{"system.slice:docker:x", true, "x", true, "system.slice/docker-x.scope"},
                      FromCase{":docker:x", true, "x", true, "system.slice/docker-x.scope"},
                      FromCase{"-.slice:docker:x", true, "x", true, "docker-x.scope"},
                      FromCase{"machine.slice:libpod:my.slice", true, "x", true, "machine.slice/my.slice"},
                      FromCase{"", true, "abc", true, "system.slice/runc-abc.scope"},
                      FromCase{"system.slice:docker", true, "x", false, "slice:prefix:name"},
                      FromCase{"a:b:c:d", true, "x", false, "slice:prefix:name"},
                      FromCase{"kubepods:p:x", true, "x", false, "invalid systemd slice name"},
                      FromCase{"a--b.slice:p:x", true, "x", false, "invalid systemd slice name"},
                      FromCase{"-a.slice:p:x", true, "x", false, "invalid systemd slice name"},
                      FromCase{".slice:p:x", true, "x", false, "invalid systemd slice name"},
                      FromCase{"a/b.slice:p:x", true, "x", false, "invalid systemd slice name"},
                      FromCase{"system.slice:p:", true, "x", false, "empty unit name"},
                      FromCase{"system.slice:p:a/b", true, "x", false, "contains '/'"}));

// runc (cgroupfs driver) resolves an empty or relative cgroupsPath against
// its own cgroup: v1 directly under it, v2 under its parent (issue 10, item 2:
// the wrapper mapped both to the mount root and isolated an empty cgroup).
TEST(CgroupsPathRelative, ResolvedAsRuncDoes) {
  const CgroupPath own = *CgroupPath::parse("user.slice/user-0.slice/session-1.scope");
  const CgroupPath v2 = runc_relative_base(own, true);
  const CgroupPath v1 = runc_relative_base(own, false);
  EXPECT_EQ(v2.str(), "user.slice/user-0.slice");
  EXPECT_EQ(v1.str(), "user.slice/user-0.slice/session-1.scope");
  EXPECT_EQ(cgroup_from_cgroups_path("", false, "c1", v2)->str(), "user.slice/user-0.slice/c1");
  EXPECT_EQ(cgroup_from_cgroups_path("a/b", false, "c1", v2)->str(), "user.slice/user-0.slice/a/b");
  EXPECT_EQ(cgroup_from_cgroups_path("a/b", false, "c1", v1)->str(),
            "user.slice/user-0.slice/session-1.scope/a/b");
  EXPECT_EQ(cgroup_from_cgroups_path("/a/b", false, "c1", v2)->str(), "a/b");
  // At the root (a container's init, a test harness) nothing changes.
  EXPECT_EQ(cgroup_from_cgroups_path("", false, "c1", runc_relative_base(CgroupPath{}, true))->str(), "c1");
  // systemd paths are never relative.
  EXPECT_EQ(cgroup_from_cgroups_path("system.slice:runc:c1", true, "c1", v2)->str(),
            "system.slice/runc-c1.scope");
}

}  // namespace
}  // namespace isolcpus
