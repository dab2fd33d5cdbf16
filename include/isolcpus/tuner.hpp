// Tuner: the tunings' side of the engine, a sibling of the cpuset Isolator
// behind the same protocol, driven by NodeSession under the node lock:
//   plan()     reads the kernel, checks the request, returns the exact file
//              changes (originals included); the caller records them BEFORE
//              apply, so a crash mid-apply can be undone;
//   apply()    writes them; on failure puts back what it wrote and says why;
//   release()  undoes changes applied wholly, partly or not at all;
//              idempotent; returns what it could not undo (kept in the
//              ledger, retried on every later call);
//   enforce()  re-asserts what live containers hold (a `runc update`, a
//              systemd daemon-reload or a new IRQ may have undone it).
// A file several containers change (a pod's quota, a shared cpufreq
// policy, an IRQ mask) is reference-counted through the ledger: every
// holder records the same original, and the file reads what the holders
// together want (KnobDriver::combined) until the last one goes.
// Each knob is one KnobDriver (src/kernel/knob_*.cpp); file names live there.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "isolcpus/cgroup_path.hpp"
#include "isolcpus/cpuset.hpp"
#include "isolcpus/expected.hpp"
#include "isolcpus/host_probe.hpp"
#include "isolcpus/kernel_files.hpp"
#include "isolcpus/tuning.hpp"

namespace isolcpus {

// What a driver needs to know of the node.
struct TuningHost {
  CgroupMode mode = CgroupMode::kNone;
  std::string cpu_mount;  // host path of the cpu controller's hierarchy ("" = none)
  CpuSet online;
};

// The systemd units the container's spec names (systemd cgroup driver,
// cgroupsPath "slice:prefix:name"), "" otherwise: only these get drop-ins,
// whatever cgroup its init has moved to.
struct SystemdUnits {
  std::string slice;  // "kubepods-pod<uid>.slice"
  std::string scope;  // "<prefix>-<name>.scope"
};

// One container's request of one knob.
struct KnobTarget {
  Tuning tuning;
  CpuSet cpus;
  CgroupPath cgroup;  // the container's, relative to the cgroup mounts
  SystemdUnits units;
};

class KnobDriver {
 public:
  KnobDriver() = default;
  KnobDriver(const KnobDriver&) = delete;
  KnobDriver& operator=(const KnobDriver&) = delete;
  KnobDriver(KnobDriver&&) = delete;
  KnobDriver& operator=(KnobDriver&&) = delete;
  virtual ~KnobDriver() = default;

  [[nodiscard]] virtual Knob knob() const = 0;
  // The files this request changes and what each should read; `original`
  // is what the file reads now (the Tuner replaces it with the first
  // holder's when another container holds the file already).
  virtual Expected<std::vector<TuningChange>> plan(const KnobTarget& target) = 0;
  // What a file should read while `holders` (never empty, same file) hold
  // it.  Default: the value they agree on.
  [[nodiscard]] virtual std::string combined(const std::vector<TuningChange>& holders) const;
  // Does `now` give the holders what they asked?  Default: it reads
  // combined(holders).  IRQs: no held CPU is in the mask (irqbalance may
  // place an IRQ anywhere else without being fought).
  [[nodiscard]] virtual bool holds(const std::vector<TuningChange>& holders, std::string_view now) const;
  // Can two containers hold this file wanting different values?  (Only IRQ
  // masks, which combine.)  Otherwise a second one is refused.
  [[nodiscard]] virtual bool combines() const { return false; }
  // A change whose write the kernel may refuse without failing the tuning
  // (an IRQ whose affinity it manages itself): dropped and reported.
  [[nodiscard]] virtual bool optional(const TuningChange& /*change*/) const { return false; }
  // What a node with nothing held lacks for this knob ("" = ready), for check.
  [[nodiscard]] virtual std::string unavailable(const CpuSet& cpus) const = 0;
};

std::unique_ptr<KnobDriver> make_quota_driver(KernelFiles& files, const TuningHost& host);
std::unique_ptr<KnobDriver> make_cstates_driver(KernelFiles& files, const TuningHost& host);
std::unique_ptr<KnobDriver> make_governor_driver(KernelFiles& files, const TuningHost& host);
std::unique_ptr<KnobDriver> make_irq_driver(KernelFiles& files, const TuningHost& host);

// What release() could not undo: the changes still in the kernel, and why.
struct TuningRelease {
  std::vector<TuningChange> left;
  std::vector<std::string> problems;
};

// What apply() did: the changes now in the kernel (an optional one the
// kernel refused is not among them) and what it dropped.
struct TuningApplied {
  std::vector<TuningChange> made;
  std::vector<std::string> notes;
};

class Tuner {
 public:
  Tuner(KernelFiles& files, const TuningHost& host);

  // `others`: every change other containers hold now.
  Expected<std::vector<TuningChange>> plan(const std::vector<Tuning>& tunings, const CpuSet& cpus,
                                           const CgroupPath& cgroup, const std::vector<TuningChange>& others,
                                           const SystemdUnits& units = {});
  Expected<TuningApplied> apply(const std::vector<TuningChange>& mine,
                                const std::vector<TuningChange>& others);
  TuningRelease release(const std::vector<TuningChange>& mine, const std::vector<TuningChange>& others);
  // `held`: every change live containers hold.  Notes name each file rewritten.
  std::vector<std::string> enforce(const std::vector<TuningChange>& held);

  // Whether the file a change was made to is gone (an IRQ torn down): its
  // record restores nothing, and would be taken for a new IRQ's that gets
  // the same number.
  [[nodiscard]] bool vanished(const TuningChange& change) const;
  // Why this node cannot honour `knob` on `cpus` ("" = it can), for check.
  [[nodiscard]] std::string unavailable(Knob knob, const CpuSet& cpus) const;
  // What a tuning's file reads now (for status): nullopt when it is gone.
  [[nodiscard]] std::optional<std::string> read(const std::string& file) const;
  // Whether `now` gives `holders` (one file's) what they asked.
  [[nodiscard]] bool satisfied(const std::vector<TuningChange>& holders, std::string_view now) const;
  // What `file` should read while `holders` hold it.
  [[nodiscard]] std::string want(const std::vector<TuningChange>& holders) const;

 private:
  Expected<void> put(const TuningChange& change, const std::string& value);
  [[nodiscard]] const KnobDriver& driver(Knob knob) const;
  KnobDriver& driver(Knob knob);
  KernelFiles& files_;
  std::vector<std::unique_ptr<KnobDriver>> drivers_;
};

}  // namespace isolcpus
