// CpuSet: a set of CPU numbers, read and written in the kernel's list format
// ("0-3,8,10-11\n"), the format of cpuset.cpus, cpuset.cpus.exclusive,
// /sys/devices/system/cpu/online and friends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "isolcpus/expected.hpp"

namespace isolcpus {

class CpuSet {
 public:
  // Highest CPU number accepted + 1.  The kernel's NR_CPUS tops out at 8192;
  // anything above is a typo or an attack, never a CPU.
  static constexpr unsigned kMaxCpus = 8192;

  CpuSet() = default;
  static CpuSet of(std::initializer_list<unsigned> cpus);
  static CpuSet range(unsigned first, unsigned last);  // inclusive

  // Accepts what the kernel prints and what people write: empty or blank
  // (the empty set), "3", "0-3", "0-3,8", a trailing newline, spaces around
  // items.  Rejects reversed ranges, junk, and numbers >= kMaxCpus.
  static Expected<CpuSet> parse(std::string_view text);

  // Canonical kernel list format without newline: "0-3,8"; "" when empty.
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] bool empty() const;
  [[nodiscard]] std::size_t count() const;
  [[nodiscard]] bool contains(unsigned cpu) const;
  [[nodiscard]] bool contains(const CpuSet& other) const;  // superset test
  [[nodiscard]] bool intersects(const CpuSet& other) const;
  [[nodiscard]] std::vector<unsigned> cpus() const;

  void insert(unsigned cpu);
  void erase(unsigned cpu);

  [[nodiscard]] CpuSet operator|(const CpuSet& other) const;  // union
  [[nodiscard]] CpuSet operator&(const CpuSet& other) const;  // intersection
  [[nodiscard]] CpuSet operator-(const CpuSet& other) const;  // difference
  CpuSet& operator|=(const CpuSet& other);
  CpuSet& operator-=(const CpuSet& other);

  friend bool operator==(const CpuSet& a, const CpuSet& b);

 private:
  void trim();
  void insert_range(unsigned first, unsigned last);  // inclusive; whole words at a time
  std::vector<std::uint64_t> words_;                 // bit n of word n/64 = CPU n; no trailing zero words
};

}  // namespace isolcpus
