// locate_runtime: the configured path when it is a usable runtime, a message
// naming the path and the fix when it is not, and in the fallback search
// never this binary (a wrapper installed as `runc` would exec itself forever).
#include "isolcpus/locate_runtime.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fakes/temp_dir.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A file with `mode`, standing in for a runtime binary.
std::string make_file(const TempDir& dir, const fs::path& name, mode_t mode) {
  dir.write_file(name, "#!/bin/sh\nexit 0\n");
  const std::string path = (dir / name).string();
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

struct Identity {
  dev_t dev;
  ino_t ino;
  bool operator==(const Identity&) const = default;
};

std::optional<Identity> identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    return std::nullopt;
  }
  return Identity{st.st_dev, st.st_ino};
}

// The executable `runc`s of the fallback search on this machine, in order.
std::vector<std::string> installed_runcs() {
  std::vector<std::string> out;
  for (std::string_view dir : kSafeRuntimeDirs) {
    std::string path = std::string(dir) + "/runc";
    if (identity(path)) {
      out.push_back(std::move(path));
    }
  }
  return out;
}

TEST(LocateRuntime, ConfiguredExecutableIsUsedAsGiven) {
  TempDir dir;
  const std::string runtime = make_file(dir, "bin/runc", 0755);
  const auto found = locate_runtime(runtime, (dir / "no-such-self").string());
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(*found, runtime);
}

TEST(LocateRuntime, ConfiguredRelativePathIsRefused) {
  const auto found = locate_runtime("bin/runc", "/proc/self/exe");
  ASSERT_FALSE(found.has_value()) << *found;
  EXPECT_EQ(found.error().message,
            "configured runtime \"bin/runc\" is not an absolute path; set `runtime` to e.g. /usr/bin/runc");
}

TEST(LocateRuntime, ConfiguredPathThatDoesNotExistNamesPathAndReason) {
  TempDir dir;
  const std::string runtime = (dir / "missing/runc").string();
  const auto found = locate_runtime(runtime, "/proc/self/exe");
  ASSERT_FALSE(found.has_value()) << *found;
  EXPECT_EQ(found.error().message, "configured runtime " + runtime +
                                       " is not an executable file (No such file or directory); install runc "
                                       "there or fix `runtime` in the config");
}

// Even root needs an execute bit for X_OK on a regular file.
TEST(LocateRuntime, ConfiguredFileWithoutExecuteBitIsRefused) {
  TempDir dir;
  const std::string runtime = make_file(dir, "runc", 0644);
  const auto found = locate_runtime(runtime, "/proc/self/exe");
  ASSERT_FALSE(found.has_value()) << *found;
  EXPECT_TRUE(contains(found.error().message, "configured runtime " + runtime + " is not an executable file"))
      << found.error().message;
  EXPECT_TRUE(contains(found.error().message, "fix `runtime` in the config")) << found.error().message;
}

TEST(LocateRuntime, ConfiguredDirectoryIsRefused) {
  TempDir dir;
  dir.make_dirs("runc");
  const auto found = locate_runtime((dir / "runc").string(), "/proc/self/exe");
  ASSERT_FALSE(found.has_value()) << *found;
  EXPECT_TRUE(contains(found.error().message, " is not an executable file")) << found.error().message;
}

// A hard link is the same file under another name: still this binary.
TEST(LocateRuntime, ConfiguredPathThatIsThisBinaryUnderAnotherNameIsRefused) {
  TempDir dir;
  const std::string self = make_file(dir, "runc-isolcpus", 0755);
  const std::string runtime = (dir / "runc").string();
  ASSERT_EQ(::link(self.c_str(), runtime.c_str()), 0);
  const auto found = locate_runtime(runtime, self);
  ASSERT_FALSE(found.has_value()) << *found;
  EXPECT_EQ(found.error().message, "configured runtime " + runtime +
                                       " is runc-isolcpus itself; point `runtime` at the real runc (e.g. "
                                       "/usr/bin/runc)");
}

TEST(LocateRuntime, ConfiguredCopyOfThisBinaryIsAnotherFileAndIsUsed) {
  TempDir dir;
  const std::string self = make_file(dir, "runc-isolcpus", 0755);
  const std::string runtime = (dir / "runc").string();
  fs::copy_file(self, runtime);
  const auto found = locate_runtime(runtime, self);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(*found, runtime);
}

TEST(LocateRuntime, FallbackFindsTheFirstRuncOfTheSafeDirs) {
  const std::vector<std::string> runcs = installed_runcs();
  if (runcs.empty()) {
    GTEST_SKIP() << "no runc in the fallback directories of this machine";
  }
  TempDir dir;
  const auto found = locate_runtime("", (dir / "no-such-self").string());
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(*found, runcs.front());
}

// This binary is the first runc of the search (reached here through a
// symlink in a temp dir, as /proc/self/exe reaches the real one): the search
// goes on to the next runc that is another file, or says only we are there.
TEST(LocateRuntime, FallbackSkipsTheCandidateThatIsThisBinary) {
  const std::vector<std::string> runcs = installed_runcs();
  if (runcs.empty()) {
    GTEST_SKIP() << "no runc in the fallback directories of this machine";
  }
  TempDir dir;
  const fs::path self = dir / "self-exe";
  fs::create_symlink(runcs.front(), self);
  const Identity self_id = *identity(runcs.front());
  std::optional<std::string> other;
  for (const std::string& path : runcs) {
    if (*identity(path) != self_id) {
      other = path;
      break;
    }
  }
  const auto found = locate_runtime("", self.string());
  if (other) {
    ASSERT_TRUE(found.has_value()) << found.error().message;
    EXPECT_EQ(*found, *other);
  } else {
    ASSERT_FALSE(found.has_value()) << *found;
    EXPECT_EQ(
        found.error().message,
        "cannot find the real runc in /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin "
        "(only runc-isolcpus itself is installed there as runc); install runc or set `runtime` in the "
        "config");
  }
}

}  // namespace
}  // namespace isolcpus
