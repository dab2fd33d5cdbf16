#include "irqbalance_restart.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include "isolcpus/irqbalance.hpp"
#include "isolcpus/irqbalance_config.hpp"
#include "isolcpus/ledger.hpp"
#include "isolcpus/text.hpp"
#include "isolcpus/unique_fd.hpp"
#include "systemd_restart.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUnit = "irqbalance.service";
constexpr std::string_view kLockFile = "irqbalance.lock";

// The list in a process's environment, as irqbalance reads it (getenv).
std::optional<std::string> environment_list(const fs::path& host_root, std::uint32_t pid) {
  const auto env = read_file_if_any(host_root / "proc" / std::to_string(pid) / "environ");
  if (!env) {
    return std::nullopt;
  }
  const std::string prefix = std::string(kIrqBalanceListVar) + "=";
  std::optional<std::string> value;
  for (std::size_t at = 0; at < env->size();) {
    const std::size_t end = std::min(env->find('\0', at), env->size());
    const std::string_view item(env->data() + at, end - at);
    if (item.starts_with(prefix)) {
      value = std::string(item.substr(prefix.size()));
    }
    at = end + 1;
  }
  return value;
}

std::int64_t monotonic_usec_now() {
  timespec ts{};
  (void)::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

// The mark holds the file's text irqbalance was last restarted for ("":
// none yet).  O_NONBLOCK: never stuck on a FIFO planted there.
void write_mark(const fs::path& mark, const std::string& text) {
  if (UniqueFd fd(
          ::open(mark.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600));
      fd) {
    (void)!::write(fd.get(), text.data(), text.size());
  }
}

// The CPUs the ledger's IRQ tunings hold, as the last save left them.
Expected<CpuSet> banned_in_ledger(const Config& config) {
  auto data = read_ledger_snapshot(config.state_dir);
  if (!data) {
    return data.error();
  }
  CpuSet banned;
  for (const auto& e : data->entries) {
    for (const auto& c : e.tuning_changes) {
      if (c.knob == Knob::kIrqLoadBalancing) {
        banned |= c.cpus;
      }
    }
  }
  return banned;
}

std::vector<std::string> restart_if_due(const Config& config, const IrqBalanceService& service,
                                        const fs::path& mark, const std::string& file,
                                        const std::string& text) {
  std::error_code ec;
  auto facts = service.facts();
  if (!facts) {
    return {"irqbalance: " + file + " has a new ban list for its next start; cannot ask systemd about " +
            kUnit + " (" + facts.error().message + ")"};
  }
  if (!*facts) {
    fs::remove(mark, ec);  // no such unit: nothing to restart, ever
    return {};
  }
  IrqBalanceUnit unit;
  unit.active = (*facts)->active && (*facts)->main_pid != 0;
  unit.running_list = environment_list(config.host_root, (*facts)->main_pid);
  unit.started_usec = static_cast<std::int64_t>((*facts)->active_enter_usec);
  unit.start_limit_interval_usec = (*facts)->start_limit_interval_usec;
  unit.start_limit_burst = (*facts)->start_limit_burst;
  const RestartDecision decision =
      decide_irqbalance_restart(unit, env_file_value(text, kIrqBalanceListVar), monotonic_usec_now());
  const std::string restarted_for = read_file_if_any(mark).value_or("");
  if (!decision.restart) {
    if (decision.not_before_usec == 0 && decision.why.empty() && !has_ban_block(text)) {
      fs::remove(mark, ec);  // it runs with the file as it is, which holds nothing of ours
    }
    return decision.why.empty() ? std::vector<std::string>{} : std::vector<std::string>{decision.why};
  }
  if (restarted_for == text) {
    // Restarted for this very text and still not running with it: its
    // unit reads another file, or overrides the variable.  Not again.
    return {decision.why.substr(0, decision.why.find("; restarting")) +
            ", though it was restarted for this file: does irqbalance.service read " + file +
            " (EnvironmentFile=), and not set the variable itself? Not restarted again"};
  }
  if (auto ok = service.restart(); !ok) {
    return {decision.why + ": " + ok.error().message};
  }
  if (has_ban_block(text)) {
    write_mark(mark, text);
  } else {
    fs::remove(mark, ec);  // back to its own file: nothing of ours pending
  }
  return {decision.why + ": done"};
}

}  // namespace

IrqBalanceService irqbalance_service() {
  return {[] { return service_facts(kUnit); }, [] { return restart_unit(kUnit, std::chrono::seconds(30)); }};
}

std::vector<std::string> keep_irqbalance(const Config& config, const IrqBalanceService& service) {
  const auto file = irqbalance_config_file(config.host_root);
  if (!file) {
    return {};  // no irqbalance package
  }
  // One reconcile at a time does this (a second one skips it): the file,
  // the mark and the restart are all outside the node lock.
  const fs::path lock_path = fs::path(config.state_dir) / kLockFile;
  UniqueFd lock(::open(lock_path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600));
  if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return {};
  }
  auto banned = banned_in_ledger(config);
  if (!banned) {
    return {"irqbalance: not told: " + banned.error().message};
  }
  const fs::path mark = fs::path(config.state_dir) / kIrqBalanceFileMark;
  // With a socket the list was given there; a block written before is kept
  // in step so that it goes when the last holder goes.
  const bool socket = !irqbalance_sockets(config.host_root).empty();
  std::vector<std::string> notes;
  auto changed = keep_irqbalance_file(config.host_root, *banned, /*only_if_kept=*/socket, mark);
  if (!changed) {
    notes.push_back("irqbalance: " + changed.error().message);
  } else if (*changed) {
    notes.push_back("irqbalance: banned CPUs " +
                    (banned->empty() ? std::string("none") : banned->to_string()) + " in " + *file +
                    ", for its next start");
  }
  std::error_code ec;
  const auto text = read_file_if_any(fs::path(config.host_root) / fs::path(*file).relative_path());
  if (!fs::exists(mark, ec) || !text) {
    return notes;  // no change of ours pending
  }
  for (auto& n : restart_if_due(config, service, mark, *file, *text)) {
    notes.push_back(std::move(n));
  }
  return notes;
}

}  // namespace isolcpus
