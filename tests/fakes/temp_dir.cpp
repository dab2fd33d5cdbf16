#include "fakes/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace isolcpus {

namespace {

std::filesystem::path temp_base() {
  const char* env = std::getenv("TMPDIR");
  return env != nullptr && *env != '\0' ? std::filesystem::path(env) : std::filesystem::path("/tmp");
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (temp_base() / "isolcpus-test-XXXXXX").string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void TempDir::write_file(const std::filesystem::path& relative, std::string_view content) const {
  const std::filesystem::path full = path_ / relative;
  std::filesystem::create_directories(full.parent_path());
  std::ofstream out(full, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) {
    throw std::runtime_error("cannot write " + full.string());
  }
}

std::string TempDir::read_file(const std::filesystem::path& relative) const {
  const std::filesystem::path full = path_ / relative;
  std::ifstream in(full, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + full.string());
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void TempDir::make_dirs(const std::filesystem::path& relative) const {
  std::filesystem::create_directories(path_ / relative);
}

bool TempDir::exists(const std::filesystem::path& relative) const {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::symlink_status(path_ / relative, ec));
}

}  // namespace isolcpus
