// FakeKernelFiles: the tunings' files as plain files in a TempDir, with the
// kernel's rules for what each file accepts and how it reads back
// (pm_qos_resume_latency_us, scaling_governor, cpu.max, cpu.cfs_quota_us),
// plus a switch to refuse chosen writes the way a kernel or a dying disk
// would.  For unit tests of logic only: the guests prove the real kernel.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fakes/temp_dir.hpp"
#include "isolcpus/kernel_files.hpp"

namespace isolcpus {

class FakeKernelFiles final : public KernelFiles {
 public:
  explicit FakeKernelFiles(const TempDir& root);

  [[nodiscard]] Expected<std::string> read(std::string_view file) const override;
  Expected<void> write(std::string_view file, std::string_view value) override;
  Expected<void> create(std::string_view file, std::string_view content) override;
  Expected<void> remove(std::string_view file) override;
  [[nodiscard]] bool exists(std::string_view file) const override;
  [[nodiscard]] std::vector<std::string> list(std::string_view dir) const override;
  [[nodiscard]] Expected<std::string> resolve(std::string_view path) const override;

  // A write for which this returns a message fails with it (EIO, ENOSPC...).
  std::function<std::optional<std::string>(std::string_view file, std::string_view value)> refuse;
  std::vector<std::string> writes;  // "file=value", in order, accepted or not

 private:
  const TempDir& root_;
  std::unique_ptr<KernelFiles> real_;
};

}  // namespace isolcpus
