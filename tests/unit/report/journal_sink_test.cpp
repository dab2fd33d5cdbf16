// log_target = "journal": each line is one datagram of the journal's native
// protocol on <host_root>/run/systemd/journal/socket, with the container id
// as a field of its own; a missing journal loses the line and nothing else.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "fakes/temp_dir.hpp"
#include "isolcpus/log.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

// A journald stand-in: the socket, bound where the sink sends.
UniqueFd listen_at(const fs::path& path) {
  fs::create_directories(path.parent_path());
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0)
      << std::strerror(errno);
  return fd;
}

// The fields of one datagram, both encodings of systemd's native protocol.
std::multimap<std::string, std::string> fields_of(const std::string& d) {
  std::multimap<std::string, std::string> out;
  std::size_t at = 0;
  while (at < d.size()) {
    const std::size_t eol = d.find('\n', at);
    const std::string line = d.substr(at, eol - at);
    if (const std::size_t eq = line.find('='); eq != std::string::npos) {
      out.emplace(line.substr(0, eq), line.substr(eq + 1));
      at = eol + 1;
      continue;
    }
    std::uint64_t size = 0;
    for (int i = 7; i >= 0; --i) {
      size = (size << 8U) | static_cast<unsigned char>(d[eol + 1 + static_cast<std::size_t>(i)]);
    }
    out.emplace(line, d.substr(eol + 9, size));
    at = eol + 9 + size + 1;
  }
  return out;
}

std::string receive(int fd) {
  char buf[65536];
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

Config journal_config(const TempDir& root) {
  Config c;
  c.host_root = root.path().string();
  c.log_to_journal = true;
  c.log_file = (root / "never.log").string();
  c.log_level = "debug";
  return c;
}

TEST(JournalLog, EachLineIsADatagramWithTheContainerAsAField) {
  TempDir root;
  const UniqueFd journal = listen_at(root / "run/systemd/journal/socket");
  {
    Log log(journal_config(root), "create c1", "c1");
    log.info("isolated CPUs 2-3");
    log.warn("two\nlines");
    log.debug("detail");
  }
  auto first = fields_of(receive(journal.get()));
  EXPECT_EQ(first.find("MESSAGE")->second, "create c1: isolated CPUs 2-3");
  EXPECT_EQ(first.find("PRIORITY")->second, "6");
  EXPECT_EQ(first.find("SYSLOG_IDENTIFIER")->second, "runc-isolcpus");
  EXPECT_EQ(first.find("RUNC_ISOLCPUS_CALL")->second, "create c1");
  EXPECT_EQ(first.find("CONTAINER_ID")->second, "c1");
  EXPECT_EQ(first.find("SYSLOG_PID")->second, std::to_string(::getpid()));
  auto second = fields_of(receive(journal.get()));
  EXPECT_EQ(second.find("MESSAGE")->second, "create c1: two\nlines") << "a newline takes the binary form";
  EXPECT_EQ(second.find("PRIORITY")->second, "4");
  EXPECT_EQ(fields_of(receive(journal.get())).find("PRIORITY")->second, "7");
  EXPECT_FALSE(fs::exists(root / "never.log")) << "the journal replaces the file";
}

// The pod is known once the spec is read: a field from then on.
TEST(JournalLog, AFieldSetLaterGoesWithTheLinesAfterIt) {
  TempDir root;
  const UniqueFd journal = listen_at(root / "run/systemd/journal/socket");
  {
    Log log(journal_config(root), "create c1", "c1");
    log.info("before");
    log.set_field("POD", "telco/rt-0");
    log.info("after");
    log.set_field("POD", "telco/rt-1");
    log.info("again");
  }
  EXPECT_EQ(fields_of(receive(journal.get())).count("POD"), 0U);
  EXPECT_EQ(fields_of(receive(journal.get())).find("POD")->second, "telco/rt-0");
  const auto third = fields_of(receive(journal.get()));
  EXPECT_EQ(third.count("POD"), 1U);
  EXPECT_EQ(third.find("POD")->second, "telco/rt-1");
}

// Review: a pod's 300 KiB annotation quoted in a warning must not cost the
// line (a datagram over the socket's limit is dropped whole).
TEST(JournalLog, AHugeLineIsCutNotLost) {
  TempDir root;
  const UniqueFd journal = listen_at(root / "run/systemd/journal/socket");
  {
    Log log(journal_config(root), "create c1", "c1");
    log.warn(std::string(300 * 1024, 'x'));
  }
  char buf[128 * 1024];
  const ssize_t n = ::recv(journal.get(), buf, sizeof buf, MSG_DONTWAIT);
  ASSERT_GT(n, 0) << "the line was lost";
  const auto fields = fields_of(std::string(buf, static_cast<std::size_t>(n)));
  EXPECT_NE(fields.find("MESSAGE")->second.find("[cut at 64 KiB of 307211 bytes]"), std::string::npos);
}

TEST(JournalLog, NoJournalLosesTheLineAndNothingElse) {
  TempDir root;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  {
    Log log(journal_config(root), "start c1", "c1");
    log.error("nobody listens");
  }
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

// Like the log file's fd, the socket must not reach the runtime we exec.
TEST(JournalLog, TheSocketIsCloseOnExec) {
  TempDir root;
  const UniqueFd journal = listen_at(root / "run/systemd/journal/socket");
  Log log(journal_config(root), "start c1", "c1");
  log.info("opened");
  int sockets = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = fs::read_symlink(entry.path(), ec).string();
    const int fd = std::stoi(entry.path().filename().string());
    if (!ec && target.starts_with("socket:") && fd != journal.get()) {
      ++sockets;
      EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "fd " << fd;
    }
  }
  EXPECT_GE(sockets, 1);
}

}  // namespace
}  // namespace isolcpus
