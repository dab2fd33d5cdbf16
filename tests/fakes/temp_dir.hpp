// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with everything
// in it when the object goes.  Unit tests point host roots, cgroup mounts and
// state dirs at one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace isolcpus {

class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // path() / relative
  [[nodiscard]] std::filesystem::path operator/(const std::filesystem::path& relative) const {
    return path_ / relative;
  }

  // Creates the parent directories as needed and replaces the file's content.
  void write_file(const std::filesystem::path& relative, std::string_view content) const;
  // Whole content; throws std::runtime_error when the file cannot be read.
  [[nodiscard]] std::string read_file(const std::filesystem::path& relative) const;
  void make_dirs(const std::filesystem::path& relative) const;
  [[nodiscard]] bool exists(const std::filesystem::path& relative) const;

 private:
  std::filesystem::path path_;
};

}  // namespace isolcpus
