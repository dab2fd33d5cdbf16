// cpu-c-states: how deep the container's CPUs may sleep, through each CPU's
// PM QoS resume latency (Documentation/ABI/testing/sysfs-devices-power):
// "0" is no constraint (every C-state), "n/a" no latency tolerated (no
// C-state beyond polling), N a limit of N microseconds.  CRI-O's values
// map onto those: enable -> "0", disable -> "n/a", max_latency:N -> "N".
#include <charconv>
#include <string>

#include "isolcpus/tuner.hpp"

namespace isolcpus {
namespace {

std::string latency_file(unsigned cpu) {
  return "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/power/pm_qos_resume_latency_us";
}

class CStatesDriver final : public KnobDriver {
 public:
  explicit CStatesDriver(KernelFiles& files) : files_(files) {}

  [[nodiscard]] Knob knob() const override { return Knob::kCStates; }

  Expected<std::vector<TuningChange>> plan(const KnobTarget& target) override {
    auto value = kernel_value(target.tuning.value);
    if (!value) {
      return value.error();
    }
    std::vector<TuningChange> changes;
    for (const unsigned cpu : target.cpus.cpus()) {
      const std::string file = latency_file(cpu);
      auto now = files_.read(file);
      if (!now) {
        return make_error(now.error().message + " (CPU " + std::to_string(cpu) +
                          " has no PM QoS latency limit)");
      }
      changes.push_back(TuningChange{.knob = Knob::kCStates,
                                     .file = file,
                                     .original = *now,
                                     .written = *value,
                                     .cpus = CpuSet::of({cpu})});
    }
    return changes;
  }

  [[nodiscard]] std::string unavailable(const CpuSet& cpus) const override {
    for (const unsigned cpu : cpus.cpus()) {
      if (!files_.exists(latency_file(cpu))) {
        return latency_file(cpu) + " does not exist";
      }
    }
    return "";
  }

 private:
  static Expected<std::string> kernel_value(std::string_view value) {
    if (value == "enable") {
      return std::string("0");
    }
    if (value == "disable") {
      return std::string("n/a");
    }
    constexpr std::string_view prefix = "max_latency:";
    if (value.starts_with(prefix)) {
      return std::string(value.substr(prefix.size()));  // checked by policy: a positive integer
    }
    return make_error("unknown value \"" + std::string(value) + "\"");
  }

  KernelFiles& files_;
};

}  // namespace

std::unique_ptr<KnobDriver> make_cstates_driver(KernelFiles& files, const TuningHost& /*host*/) {
  return std::make_unique<CStatesDriver>(files);
}

}  // namespace isolcpus
