#include "isolcpus/read_to_end.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

UniqueFd pipe_with(const std::string& bytes) {
  int p[2];
  EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
  EXPECT_EQ(::write(p[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(p[1]);
  return UniqueFd(p[0]);
}

UniqueFd file_with(const std::string& bytes) {
  UniqueFd fd(::memfd_create("read_to_end", MFD_CLOEXEC));
  EXPECT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  EXPECT_EQ(::lseek(fd.get(), 0, SEEK_SET), 0);
  return fd;
}

// Larger than one read() buffer, so the loop has to go round.
TEST(ReadToEnd, ReadsEverythingUpToTheCap) {
  const std::string text(200'000, 'x');
  auto fd = file_with(text);
  const auto r = read_to_end(fd.get(), text.size());
  EXPECT_EQ(r.end, ReadToEnd::End::eof);
  EXPECT_EQ(r.bytes, text);
}

TEST(ReadToEnd, OneByteOverTheCapIsTooLarge) {
  auto fd = file_with(std::string(200'001, 'x'));
  const auto big = read_to_end(fd.get(), 200'000);
  EXPECT_EQ(big.end, ReadToEnd::End::too_large);
  fd = pipe_with(std::string(11, 'x'));
  const auto r = read_to_end(fd.get(), 10);
  EXPECT_EQ(r.end, ReadToEnd::End::too_large);
}

TEST(ReadToEnd, EmptyInputIsAnEmptyEof) {
  auto fd = pipe_with("");
  const auto r = read_to_end(fd.get(), 0);
  EXPECT_EQ(r.end, ReadToEnd::End::eof);
  EXPECT_TRUE(r.bytes.empty());
}

TEST(ReadToEnd, AReadErrorCarriesErrno) {
  const auto r = read_to_end(-1, 10);
  EXPECT_EQ(r.end, ReadToEnd::End::failed);
  EXPECT_EQ(r.err, EBADF);
}

TEST(ReadToEnd, AnEmptyNonBlockingPipeFailsWithEagainInsteadOfWaiting) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  UniqueFd r(p[0]);
  UniqueFd w(p[1]);
  const auto got = read_to_end(r.get(), 10);
  EXPECT_EQ(got.end, ReadToEnd::End::failed);
  EXPECT_EQ(got.err, EAGAIN);
}

}  // namespace
}  // namespace isolcpus
