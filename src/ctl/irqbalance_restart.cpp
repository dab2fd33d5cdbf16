#include "irqbalance_restart.hpp"

#include <chrono>
#include <filesystem>

#include "isolcpus/irqbalance.hpp"
#include "isolcpus/irqbalance_config.hpp"
#include "isolcpus/text.hpp"
#include "systemd_restart.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUnit = "irqbalance.service";

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

std::int64_t realtime_usec_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::vector<std::string> restart_irqbalance_if_due(const Config& config) {
  const fs::path mark = fs::path(config.state_dir) / kIrqBalanceFileMark;
  const auto file = irqbalance_config_file(config.host_root);
  std::error_code ec;
  if (!file || !fs::exists(mark, ec) || !irqbalance_sockets(config.host_root).empty()) {
    return {};  // no change of ours pending, or a socket took it live
  }
  const auto text = read_file_if_any(fs::path(config.host_root) / fs::path(*file).relative_path());
  if (!text) {
    return {"irqbalance: cannot read " + *file + " to see whether irqbalance needs a restart"};
  }
  auto facts = service_facts(kUnit);
  if (!facts) {
    return {"irqbalance: " + *file + " has a new ban list for its next start; cannot ask systemd about " +
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
  const auto list = env_file_value(*text, kIrqBalanceListVar);
  const RestartDecision decision = decide_irqbalance_restart(unit, list, realtime_usec_now());
  if (!decision.restart) {
    if (decision.not_before_usec == 0 && !has_ban_block(*text)) {
      fs::remove(mark, ec);  // it runs with the file as it is, and the file holds nothing of ours
    }
    return decision.why.empty() ? std::vector<std::string>{} : std::vector<std::string>{decision.why};
  }
  if (auto ok = restart_unit(kUnit, std::chrono::seconds(30)); !ok) {
    return {decision.why + ": " + ok.error().message};
  }
  if (!has_ban_block(*text)) {
    fs::remove(mark, ec);
  }
  return {decision.why + ": done"};
}

}  // namespace isolcpus
