#include "isolcpus/proc_cgroup.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

TEST(ProcCgroup, TheFileIsUnderThePidsDirectory) {
  EXPECT_EQ(proc_cgroup_file("/proc", 123), std::filesystem::path("/proc/123/cgroup"));
  EXPECT_EQ(proc_cgroup_file("/host/proc", 1), std::filesystem::path("/host/proc/1/cgroup"));
}

TEST(ProcCgroup, ReadsTheHierarchyOfTheMode) {
  struct Case {
    const char* name;
    const char* text;  // "" = no file
    CgroupMode mode;
    const char* want;     // the cgroup, or nullptr
    const char* message;  // part of the error when want is nullptr
  };
  const Case cases[] = {
      {"v2", "0::/kubepods/ctr\n", CgroupMode::kV2, "/kubepods/ctr", nullptr},
      {"v1", "12:memory:/m\n4:cpuset:/kubepods/ctr\n", CgroupMode::kV1, "/kubepods/ctr", nullptr},
      {"v1 line missing", "12:memory:/m\n", CgroupMode::kV1, nullptr,
       "lists no cpuset hierarchy for process 7"},
      {"v2 line missing", "4:cpuset:/c\n", CgroupMode::kV2, nullptr, "lists no cgroup v2 hierarchy"},
      {"process gone", "", CgroupMode::kV2, nullptr, "(process gone?)"},
  };
  for (const auto& c : cases) {
    TempDir proc;
    if (*c.text != '\0') {
      proc.write_file("7/cgroup", c.text);
    }
    const auto got = process_cpuset_cgroup(proc.path(), 7, c.mode);
    if (c.want != nullptr) {
      ASSERT_TRUE(got) << c.name << ": " << got.error().message;
      EXPECT_EQ(*got, c.want) << c.name;
    } else {
      ASSERT_FALSE(got) << c.name;
      EXPECT_NE(got.error().message.find(c.message), std::string::npos)
          << c.name << ": " << got.error().message;
      EXPECT_NE(got.error().message.find(proc_cgroup_file(proc.path(), 7).string()), std::string::npos)
          << c.name;
    }
  }
}

}  // namespace
}  // namespace isolcpus
