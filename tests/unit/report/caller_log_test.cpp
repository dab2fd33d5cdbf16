// Reporting to our caller the way runc does: a runc-style JSON line (or a
// logrus text line) appended to the caller's --log file, and for a refusal
// one "runc-isolcpus: ..." line on stderr.  Best effort: a log that cannot
// be written costs nothing and says nothing.
#include "isolcpus/caller_log.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "fakes/temp_dir.hpp"
#include "fakes/text_lines.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");

// The line with its timestamp replaced by T, after checking its shape.
std::string without_time(const std::string& line) {
  EXPECT_TRUE(std::regex_search(line, kTime)) << line;
  return std::regex_replace(line, kTime, "T");
}

std::size_t open_fd_count() {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{}));
}

class CallerLogTest : public ::testing::Test {
 protected:
  RuncInvocation invocation(std::optional<std::string> format) const {
    RuncInvocation inv;
    inv.log = (dir_ / "caller.log").string();
    inv.log_format = std::move(format);
    return inv;
  }

  TempDir dir_;
};

// 2026-11-22T05:04:40Z
constexpr std::chrono::seconds kWhen{1795323880};

TEST(RuncJsonLogLine, IsRuncsShapeWithUtcSecondTime) {
  const std::chrono::system_clock::time_point when(kWhen + std::chrono::milliseconds(999));
  EXPECT_EQ(runc_json_log_line("error", "CPU 3 is isolated", when),
            R"({"level":"error","msg":"CPU 3 is isolated","time":"2026-11-22T05:04:40Z"})"
            "\n");
}

TEST(RuncJsonLogLine, MessageIsEscapedAsJson) {
  const std::chrono::system_clock::time_point when(kWhen);
  EXPECT_EQ(runc_json_log_line("warning", "a \"quoted\"\npath\\x\t", when),
            R"({"level":"warning","msg":"a \"quoted\"\npath\\x\t","time":"2026-11-22T05:04:40Z"})"
            "\n");
}

TEST_F(CallerLogTest, JsonLinesAreAppendedToWhatIsThere) {
  dir_.write_file("caller.log", "{\"level\":\"info\",\"msg\":\"runc's own\",\"time\":\"x\"}\n");
  const RuncInvocation inv = invocation("json");
  append_caller_log(inv, "warning", "first");
  append_caller_log(inv, "error", "second \"one\"");
  const std::vector<std::string> lines = lines_of(dir_.read_file("caller.log"));
  ASSERT_EQ(lines.size(), 3U) << dir_.read_file("caller.log");
  EXPECT_EQ(lines[0], R"({"level":"info","msg":"runc's own","time":"x"})");
  EXPECT_EQ(without_time(lines[1]), R"({"level":"warning","msg":"first","time":"T"})");
  EXPECT_EQ(without_time(lines[2]), R"({"level":"error","msg":"second \"one\"","time":"T"})");
}

// runc's default --log-format is text: logrus' text formatter.
TEST_F(CallerLogTest, TextFormatIsALogrusLine) {
  for (const auto& format : {std::optional<std::string>("text"), std::optional<std::string>()}) {
    fs::remove(dir_ / "caller.log");
    append_caller_log(invocation(format), "warning", "not isolated: \"x\"");
    EXPECT_EQ(without_time(dir_.read_file("caller.log")),
              "time=\"T\" level=warning msg=\"not isolated: \\\"x\\\"\"\n");
  }
}

TEST_F(CallerLogTest, NewFileIsCreatedWithMode0644) {
  const mode_t old_mask = ::umask(0);
  append_caller_log(invocation("json"), "error", "x");
  (void)::umask(old_mask);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "caller.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644U);
}

TEST_F(CallerLogTest, NoLogFlagWritesNothing) {
  RuncInvocation inv = invocation("json");
  inv.log.reset();
  append_caller_log(inv, "error", "x");
  inv.log = "";
  append_caller_log(inv, "error", "x");
  EXPECT_TRUE(fs::is_empty(dir_.path()));
}

// Unwritable (a path under a regular file, a FIFO nobody reads): no crash,
// no hang, no fd left open, not a word on stdout or stderr.
TEST_F(CallerLogTest, UnwritableLogIsSkippedSilently) {
  dir_.write_file("not-a-dir", "x");
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  const std::size_t fds_before = open_fd_count();
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  for (const char* name : {"not-a-dir/caller.log", "fifo", "no-such-dir/caller.log"}) {
    RuncInvocation inv = invocation("json");
    inv.log = (dir_ / name).string();
    append_caller_log(inv, "error", "dropped");
  }
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "");
  EXPECT_EQ(open_fd_count(), fds_before);
  EXPECT_EQ(dir_.read_file("not-a-dir"), "x");
  EXPECT_FALSE(dir_.exists("no-such-dir"));
}

TEST_F(CallerLogTest, AppendLeavesNoFdOpen) {
  const std::size_t fds_before = open_fd_count();
  append_caller_log(invocation("json"), "error", "x");
  EXPECT_EQ(open_fd_count(), fds_before);
}

TEST_F(CallerLogTest, CallerErrorIsOneStderrLineAndAnErrorLogLine) {
  ::testing::internal::CaptureStderr();
  report_caller_error(invocation("json"), "CPU 1 is isolated by c1");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "runc-isolcpus: CPU 1 is isolated by c1\n");
  EXPECT_EQ(without_time(dir_.read_file("caller.log")),
            R"({"level":"error","msg":"CPU 1 is isolated by c1","time":"T"})"
            "\n");
}

}  // namespace
}  // namespace isolcpus
