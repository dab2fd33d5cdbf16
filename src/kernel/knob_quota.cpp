// cpu-quota: no CFS bandwidth limit on the container and its pod, so a
// busy-polling thread is never throttled.  v2 "cpu.max" keeps its period
// ("max <period>"), v1 "cpu.cfs_quota_us" takes -1.  The pod's cgroup is
// changed first (v1 refuses a child quota above its parent's) and comes
// back last, when the pod's last such container goes.
#include <string>

#include "isolcpus/text.hpp"
#include "isolcpus/tuner.hpp"

namespace isolcpus {
namespace {

// A kubelet pod cgroup: "pod<uid>" (cgroupfs) or "kubepods[-<qos>]-pod<uid>.slice"
// (systemd).  Any other parent (podman's machine.slice, a system slice) is
// not the pod's to lose its limit.
bool is_pod_cgroup(std::string_view name) {
  if (name.starts_with("pod")) {
    return true;
  }
  return name.starts_with("kubepods") && name.ends_with(".slice") &&
         name.find("-pod") != std::string_view::npos;
}

bool is_unit(std::string_view name) { return name.ends_with(".scope") || name.ends_with(".slice"); }

class QuotaDriver final : public KnobDriver {
 public:
  QuotaDriver(KernelFiles& files, TuningHost host) : files_(files), host_(std::move(host)) {}

  [[nodiscard]] Knob knob() const override { return Knob::kCpuQuota; }

  Expected<std::vector<TuningChange>> plan(const KnobTarget& target) override {
    if (auto why = unavailable(target.cpus); !why.empty()) {
      return make_error(why);
    }
    // Outermost first: the pod, crun's scope around its subgroup, the container.
    std::vector<CgroupPath> levels = {target.cgroup};
    CgroupPath parent = target.cgroup.parent();
    const bool subgroup = !target.cgroup.is_root() && !is_unit(target.cgroup.parts().back()) &&
                          !parent.is_root() && parent.parts().back().ends_with(".scope");
    if (subgroup && !files_.exists(file_of(target.cgroup))) {
      levels.clear();  // no cpu controller below the scope: no limit there either
    }
    if (subgroup) {
      // crun runs the workload in a subgroup of its scope and may put the
      // limit on either (crun 1.8.1 on cgroup v2: the subgroup).
      levels.insert(levels.begin(), parent);
      parent = parent.parent();
    }
    if (!parent.is_root() && is_pod_cgroup(parent.parts().back())) {
      levels.insert(levels.begin(), parent);
    }
    std::vector<TuningChange> changes;
    for (const auto& level : levels) {
      const std::string& unit =
          level.parts().back().ends_with(".slice") ? target.units.slice : target.units.scope;
      if (auto ok = add(level, unit, target.cpus, changes); !ok) {
        return ok.error();
      }
    }
    return changes;
  }

  [[nodiscard]] std::string unavailable(const CpuSet& /*cpus*/) const override {
    if (host_.cpu_mount.empty()) {
      return "no cgroup hierarchy has the cpu controller, so there is no CFS quota to lift";
    }
    return "";
  }

 private:
  [[nodiscard]] std::string file_of(const CgroupPath& cgroup) const {
    const std::string leaf = host_.mode == CgroupMode::kV2 ? "cpu.max" : "cpu.cfs_quota_us";
    return host_.cpu_mount + (cgroup.is_root() ? "" : "/" + cgroup.str()) + "/" + leaf;
  }

  // A cgroup systemd manages (a *.scope or *.slice: the systemd cgroup
  // driver's) gets its CPUQuota from the unit at every daemon-reload, which
  // would undo a raw write.  A runtime drop-in beside the ones
  // `systemctl set-property --runtime` writes keeps the unit saying what the
  // file says; written before the file, removed after it is restored.
  // Only a unit the container's spec names: a cgroup its init moved into
  // (a container running systemd has an init.scope of its own) is not one.
  Expected<void> add(const CgroupPath& cgroup, const std::string& spec_unit, const CpuSet& cpus,
                     std::vector<TuningChange>& changes) const {
    if (cgroup.is_root()) {
      return make_error("the container has no cgroup of its own");
    }
    const std::string& unit = cgroup.parts().back();
    if (!spec_unit.empty() && unit == spec_unit && (unit.ends_with(".scope") || unit.ends_with(".slice"))) {
      changes.push_back(TuningChange{
          .knob = Knob::kCpuQuota,
          .file = "/run/systemd/system.control/" + unit + ".d/90-runc-isolcpus-cpu-quota.conf",
          .original = std::string(kAbsentFile),
          .written = "# runc-isolcpus: no CFS quota while a container asks cpu-quota.crio.io=disable\n[" +
                     std::string(unit.ends_with(".scope") ? "Scope" : "Slice") + "]\nCPUQuota=",
          .cpus = cpus});
    }
    auto file = change_for(cgroup, cpus);
    if (!file) {
      return file.error();
    }
    changes.push_back(std::move(*file));
    return {};
  }

  Expected<TuningChange> change_for(const CgroupPath& cgroup, const CpuSet& cpus) const {
    const std::string file = file_of(cgroup);
    auto now = files_.read(file);
    if (!now) {
      return make_error(now.error().message + " (is the cpu controller enabled for this cgroup?)");
    }
    std::string written = "-1";
    if (host_.mode == CgroupMode::kV2) {
      // "<quota|max> <period>": keep the period the pod was given.
      const auto space = now->find(' ');
      if (space == std::string::npos) {
        return make_error(file + " reads \"" + *now + "\", not \"<quota> <period>\"");
      }
      written = "max" + now->substr(space);
    }
    return TuningChange{
        .knob = Knob::kCpuQuota, .file = file, .original = *now, .written = written, .cpus = cpus};
  }

  KernelFiles& files_;
  TuningHost host_;
};

}  // namespace

std::unique_ptr<KnobDriver> make_quota_driver(KernelFiles& files, const TuningHost& host) {
  return std::make_unique<QuotaDriver>(files, host);
}

}  // namespace isolcpus
