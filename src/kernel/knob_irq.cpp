// irq-load-balancing: interrupts kept off the container's CPUs.  CRI-O
// writes only /proc/irq/default_smp_affinity (IRQs set up later) and leaves
// the existing ones to irqbalance; this also takes the CPUs out of every
// IRQ's own smp_affinity, so it holds on nodes without irqbalance.  IRQs
// whose affinity the kernel manages (per-queue MSI-X: EIO) are left alone
// and reported.  Every holder records the CPUs it took out: a mask reads
// its original without the union of them (KnobDriver::combined), never
// empty, and no wider than the kernel printed it.
#include <algorithm>
#include <string>

#include "isolcpus/cpu_mask.hpp"
#include "isolcpus/tuner.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kDefaultMask = "/proc/irq/default_smp_affinity";

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class IrqDriver final : public KnobDriver {
 public:
  IrqDriver(KernelFiles& files, TuningHost host) : files_(files), host_(std::move(host)) {}

  [[nodiscard]] Knob knob() const override { return Knob::kIrqLoadBalancing; }
  [[nodiscard]] bool combines() const override { return true; }
  [[nodiscard]] bool optional(const TuningChange& change) const override {
    return change.file != kDefaultMask;
  }

  Expected<std::vector<TuningChange>> plan(const KnobTarget& target) override {
    const CpuSet banned = banned_by(target);
    std::vector<TuningChange> changes;
    if (banned.empty()) {
      return changes;
    }
    auto fallback = change_for(std::string(kDefaultMask), banned);
    if (!fallback) {
      return fallback.error();
    }
    for (const auto& name : files_.list("/proc/irq")) {
      const std::string file = "/proc/irq/" + name + "/smp_affinity";
      if (!all_digits(name) || !files_.exists(file)) {
        continue;
      }
      // An IRQ that vanished or cannot be read is not ours to change.
      if (auto change = change_for(file, banned)) {
        changes.push_back(std::move(*change));
      }
    }
    // The default mask last, so released first: an IRQ whose own CPUs are
    // all banned falls back to the default mask's CPUs (allowed()), and its
    // value must be computed, at every release, from a default mask that no
    // longer bans the leaving holder's CPUs.  Released after the IRQs, it
    // left a second holder's value unrecognisable at the last release, and
    // the IRQ kept it for good (found by the IRQ model).
    changes.push_back(std::move(*fallback));
    return changes;
  }

  [[nodiscard]] std::string combined(const std::vector<TuningChange>& holders) const override {
    CpuSet banned;
    for (const auto& h : holders) {
      banned |= h.cpus;
    }
    auto original = parse_cpu_mask(holders.front().original);
    if (!original) {
      return holders.front().original;
    }
    return format_cpu_mask_like(holders.front().original, allowed(*original, banned));
  }

  [[nodiscard]] bool holds(const std::vector<TuningChange>& holders, std::string_view now) const override {
    CpuSet banned;
    for (const auto& h : holders) {
      banned |= h.cpus;
    }
    auto mask = parse_cpu_mask(now);
    return mask && !mask->empty() && !mask->intersects(banned);
  }

  [[nodiscard]] std::string unavailable(const CpuSet& /*cpus*/) const override {
    return files_.exists(std::string(kDefaultMask)) ? "" : std::string(kDefaultMask) + " does not exist";
  }

 private:
  // What an IRQ may use: its own CPUs but the banned; if that leaves none
  // (the kernel refuses an empty mask), the default mask's CPUs, which
  // every holder on the node has taken its CPUs out of; then every online
  // CPU but the banned; then what it had.
  [[nodiscard]] CpuSet allowed(const CpuSet& original, const CpuSet& banned) const {
    if (CpuSet kept = original - banned; !kept.empty()) {
      return kept;
    }
    auto fallback = files_.read(std::string(kDefaultMask));
    auto node_wide = fallback ? parse_cpu_mask(*fallback) : Expected<CpuSet>(fallback.error());
    if (CpuSet spare = node_wide ? *node_wide & (host_.online - banned) : CpuSet{}; !spare.empty()) {
      return spare;
    }
    if (CpuSet housekeeping = host_.online - banned; !housekeeping.empty()) {
      return housekeeping;
    }
    return original;
  }

  // "housekeeping": the container's first CPU and its hyperthread siblings
  // keep serving IRQs (CRI-O's rule), for the container's own interrupts.
  [[nodiscard]] CpuSet banned_by(const KnobTarget& target) const {
    CpuSet banned = target.cpus;
    if (target.tuning.value == "housekeeping" && !target.cpus.empty()) {
      const unsigned first = target.cpus.cpus().front();
      banned.erase(first);
      auto siblings = files_.read("/sys/devices/system/cpu/cpu" + std::to_string(first) +
                                  "/topology/thread_siblings_list");
      if (auto parsed = siblings ? CpuSet::parse(*siblings) : Expected<CpuSet>(siblings.error())) {
        banned -= *parsed;
      }
    }
    return banned;
  }

  Expected<TuningChange> change_for(const std::string& file, const CpuSet& banned) const {
    auto now = files_.read(file);
    if (!now) {
      return now.error();
    }
    auto mask = parse_cpu_mask(*now);
    if (!mask) {
      return make_error(file + ": " + mask.error().message);
    }
    return TuningChange{.knob = Knob::kIrqLoadBalancing,
                        .file = file,
                        .original = *now,
                        .written = format_cpu_mask_like(*now, allowed(*mask, banned)),
                        .cpus = banned};
  }

  KernelFiles& files_;
  TuningHost host_;
};

}  // namespace

std::unique_ptr<KnobDriver> make_irq_driver(KernelFiles& files, const TuningHost& host) {
  return std::make_unique<IrqDriver>(files, host);
}

}  // namespace isolcpus
