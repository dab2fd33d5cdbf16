// Seams: the few places where the engine meets the outside world and a test
// needs to stand in for it (the host's kernel, a crash, a full disk, this
// process, the `runc update` child).  Production leaves every one empty and
// the engine uses the real thing.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "isolcpus/cgroup_tree.hpp"
#include "isolcpus/expected.hpp"
#include "isolcpus/host_probe.hpp"
#include "isolcpus/kernel_files.hpp"
#include "isolcpus/ledger.hpp"

namespace isolcpus {

// A runtime child started with its exec held back until go(), so its PID is
// recorded in the ledger before it can change anything.
class RuntimeChild {
 public:
  RuntimeChild() = default;
  RuntimeChild(const RuntimeChild&) = delete;
  RuntimeChild& operator=(const RuntimeChild&) = delete;
  RuntimeChild(RuntimeChild&&) = delete;
  RuntimeChild& operator=(RuntimeChild&&) = delete;
  virtual ~RuntimeChild() = default;

  [[nodiscard]] virtual ProcessRef process() const = 0;
  virtual Expected<void> go() = 0;   // lets it exec the runtime
  virtual Expected<int> wait() = 0;  // its exit status, or -N when signal N killed it
};

using ChildLauncher =
    std::function<Expected<std::unique_ptr<RuntimeChild>>(const std::optional<std::string>&)>;

struct Seams {
  const HostFacts* host = nullptr;  // instead of probing host_root
  CgroupTree* tree = nullptr;       // instead of the cpuset mount
  KernelFiles* files = nullptr;     // instead of the tunings' sysfs, procfs and cpu-cgroup files
  // Called at every kernel write and ledger save with a step name; a test
  // may throw from it to model SIGKILL (the fault-injection build kills).
  std::function<void(std::string_view step)> checkpoint;
  // Returns true to make that ledger save fail as a full disk would.
  std::function<bool(std::string_view what)> fail_save;
  std::optional<ProcessRef> self;  // this process, as /proc shows it
  ChildLauncher launch_update;     // the `runc update` child
  // Instead of forking the exit watcher: a test process would leave one
  // waiting (and then reconciling a removed state dir) per call.
  std::function<void()> spawn_exit_watcher;
};

}  // namespace isolcpus
