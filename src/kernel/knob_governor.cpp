// cpu-freq-governor: the cpufreq governor of the container's CPUs.  The
// governor belongs to a policy (cpuN/cpufreq links to it), which may span
// CPUs outside the container: it is recorded once per policy, so two
// containers on one policy share it (and must agree on the governor).
#include <algorithm>
#include <string>

#include "isolcpus/tuner.hpp"

namespace isolcpus {
namespace {

std::string cpufreq_dir(unsigned cpu) {
  return "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cpufreq";
}

bool has_word(std::string_view words, std::string_view word) {
  std::size_t start = 0;
  while (start <= words.size()) {
    const auto end = std::min(words.find(' ', start), words.size());
    if (words.substr(start, end - start) == word) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

class GovernorDriver final : public KnobDriver {
 public:
  explicit GovernorDriver(KernelFiles& files) : files_(files) {}

  [[nodiscard]] Knob knob() const override { return Knob::kGovernor; }

  Expected<std::vector<TuningChange>> plan(const KnobTarget& target) override {
    std::vector<TuningChange> changes;
    for (const unsigned cpu : target.cpus.cpus()) {
      auto policy = files_.resolve(cpufreq_dir(cpu));
      if (!policy) {
        return make_error("CPU " + std::to_string(cpu) + " has no cpufreq policy (" + cpufreq_dir(cpu) +
                          "): no frequency driver runs it");
      }
      auto available = files_.read(*policy + "/scaling_available_governors");
      if (!available) {
        return available.error();
      }
      if (!has_word(*available, target.tuning.value)) {
        return make_error("CPU " + std::to_string(cpu) + " offers the governors \"" + *available + "\" (" +
                          *policy + "/scaling_available_governors), not \"" + target.tuning.value + "\"");
      }
      const std::string file = *policy + "/scaling_governor";
      if (auto it =
              std::find_if(changes.begin(), changes.end(), [&](const auto& c) { return c.file == file; });
          it != changes.end()) {
        it->cpus |= CpuSet::of({cpu});
        continue;
      }
      auto now = files_.read(file);
      if (!now) {
        return now.error();
      }
      changes.push_back(TuningChange{.knob = Knob::kGovernor,
                                     .file = file,
                                     .original = *now,
                                     .written = target.tuning.value,
                                     .cpus = CpuSet::of({cpu})});
    }
    return changes;
  }

  [[nodiscard]] std::string unavailable(const CpuSet& cpus) const override {
    for (const unsigned cpu : cpus.cpus()) {
      if (!files_.exists(cpufreq_dir(cpu) + "/scaling_governor")) {
        return "CPU " + std::to_string(cpu) + " has no cpufreq policy (" + cpufreq_dir(cpu) +
               "): no frequency driver runs it";
      }
    }
    return "";
  }

 private:
  KernelFiles& files_;
};

}  // namespace

std::unique_ptr<KnobDriver> make_governor_driver(KernelFiles& files, const TuningHost& /*host*/) {
  return std::make_unique<GovernorDriver>(files);
}

}  // namespace isolcpus
