// Log: our own diagnostic log.  Lines at or above the configured level go to
// the configured file, size-bounded by rotation; the file's fd is
// close-on-exec (it must not reach the runtime we exec); a log that cannot
// be opened is dropped without a word on stdout or stderr, which belong to
// our caller.
#include "isolcpus/log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fakes/temp_dir.hpp"
#include "fakes/text_lines.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The fds of this process open on `path`.
std::vector<int> fds_open_on(const fs::path& path) {
  const fs::path want = fs::canonical(path);
  std::vector<int> out;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const fs::path target = fs::read_symlink(entry.path(), ec);
    if (!ec && target == want) {
      out.push_back(std::stoi(entry.path().filename().string()));
    }
  }
  return out;
}

class LogTest : public ::testing::Test {
 protected:
  Config config_for(std::string level) const {
    Config config;
    config.log_file = (dir_ / "wrapper.log").string();
    config.log_level = std::move(level);
    return config;
  }

  TempDir dir_;
};

TEST(ParseLogLevel, KnowsTheConfigsNamesAndFallsBackToInfo) {
  EXPECT_EQ(parse_log_level("trace"), LogLevel::kTrace);
  EXPECT_EQ(parse_log_level("debug"), LogLevel::kDebug);
  EXPECT_EQ(parse_log_level("info"), LogLevel::kInfo);
  EXPECT_EQ(parse_log_level("warn"), LogLevel::kWarn);
  EXPECT_EQ(parse_log_level("error"), LogLevel::kError);
  EXPECT_EQ(parse_log_level("off"), LogLevel::kOff);
  EXPECT_EQ(parse_log_level("warning"), LogLevel::kInfo);
  EXPECT_EQ(parse_log_level("DEBUG"), LogLevel::kInfo);
  EXPECT_EQ(parse_log_level(""), LogLevel::kInfo);
}

TEST_F(LogTest, LinesBelowTheLevelAreDroppedTheRestWrittenWithContext) {
  {
    Log log(config_for("warn"), "create c1");
    log.debug("a debug line");
    log.info("an info line");
    log.warn("a warning line");
    log.error("an error line");
  }
  const std::vector<std::string> lines = lines_of(dir_.read_file("wrapper.log"));
  ASSERT_EQ(lines.size(), 2U) << dir_.read_file("wrapper.log");
  EXPECT_TRUE(ends_with(lines[0], " warning [" + std::to_string(::getpid()) + "] create c1: a warning line"))
      << lines[0];
  EXPECT_TRUE(ends_with(lines[1], " error [" + std::to_string(::getpid()) + "] create c1: an error line"))
      << lines[1];
}

TEST_F(LogTest, DebugLevelKeepsDebugButNotTrace) {
  {
    Log log(config_for("debug"));
    log.write(LogLevel::kTrace, "trace");
    log.debug("debug");
    log.info("info");
  }
  const std::vector<std::string> lines = lines_of(dir_.read_file("wrapper.log"));
  ASSERT_EQ(lines.size(), 2U) << dir_.read_file("wrapper.log");
  EXPECT_TRUE(ends_with(lines[0], "] debug")) << lines[0];
  EXPECT_TRUE(ends_with(lines[1], "] info")) << lines[1];
}

// A call that logs nothing pays nothing: no file until a line is kept.
TEST_F(LogTest, FileIsOpenedOnlyByTheFirstKeptLine) {
  Log log(config_for("error"));
  log.warn("below the level");
  EXPECT_FALSE(dir_.exists("wrapper.log"));
  log.error("kept");
  EXPECT_TRUE(dir_.exists("wrapper.log"));
}

TEST_F(LogTest, OffAndNoFileWriteNothing) {
  {
    Log off(config_for("off"));
    off.error("dropped");
    Config no_file = config_for("trace");
    no_file.log_file.clear();
    Log none(no_file);
    none.error("dropped");
    Log dropping;
    dropping.error("dropped");
  }
  EXPECT_FALSE(dir_.exists("wrapper.log"));
}

// Issue 10 item 4: the log fd must not leak into runc, exec'd in place or
// run as `update`'s child.
TEST_F(LogTest, LogFileFdIsCloseOnExec) {
  Log log(config_for("info"));
  log.info("opens the file");
  const std::vector<int> fds = fds_open_on(dir_ / "wrapper.log");
  ASSERT_FALSE(fds.empty()) << "the log holds no fd on its file";
  for (const int fd : fds) {
    const int flags = ::fcntl(fd, F_GETFD);
    ASSERT_NE(flags, -1);
    EXPECT_NE(flags & FD_CLOEXEC, 0) << "fd " << fd << " of the log file is inherited across exec";
  }
}

TEST_F(LogTest, RotationBoundsTheFileAndKeepsMaxFilesOldOnes) {
  Config config = config_for("info");
  config.log_max_bytes = 400;
  config.log_max_files = 1;
  {
    Log log(config);
    for (int i = 0; i < 40; ++i) {
      log.info("line " + std::to_string(i) + " of a log that outgrows its bound");
    }
  }
  EXPECT_TRUE(dir_.exists("wrapper.1.log"));
  EXPECT_FALSE(dir_.exists("wrapper.2.log"));
  EXPECT_LE(fs::file_size(dir_ / "wrapper.log"), 400U);
  EXPECT_LE(fs::file_size(dir_ / "wrapper.1.log"), 400U);
  const std::string last = dir_.read_file("wrapper.log");
  EXPECT_NE(last.find("line 39 of"), std::string::npos) << last;
}

// A path under a regular file can be neither created nor opened, even by
// root: the lines go nowhere, and nothing reaches stdout or stderr.
TEST_F(LogTest, UnopenableFileIsDroppedSilently) {
  dir_.write_file("not-a-dir", "x");
  Config config = config_for("trace");
  config.log_file = (dir_ / "not-a-dir" / "wrapper.log").string();
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  {
    Log log(config, "start c1");
    log.error("first");
    log.error("second");
  }
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "");
  EXPECT_EQ(dir_.read_file("not-a-dir"), "x");
}

}  // namespace
}  // namespace isolcpus
