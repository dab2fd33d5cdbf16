// metrics: gathers what status gathers, read-only and without the node lock
// (the ledger is read as a snapshot, as status reads it), and prints it in
// Prometheus' text format (metrics_view.cpp), to stdout or atomically to a
// file for node-exporter's textfile collector.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>
#include <ostream>
#include <vector>

#include "commands.hpp"
#include "isolcpus/atomic_replace.hpp"
#include "isolcpus/node_session.hpp"
#include "isolcpus/text.hpp"
#include "isolcpus/unique_fd.hpp"
#include "ledger_view.hpp"
#include "metrics_view.hpp"
#include "status_view.hpp"
#include "tuning_readings.hpp"

namespace isolcpus {
namespace fs = std::filesystem;
namespace {

// Only the knobs config.knobs names: the config accepts no knob the Tuner
// lacks a driver for, and Tuner::unavailable() has no answer for one.
std::optional<std::vector<KnobAvailability>> availability(NodeSession& node, const Config& config,
                                                          const CpuSet& online) {
  auto tuner = node.tuner();
  if (!tuner) {
    return std::nullopt;
  }
  std::vector<KnobAvailability> out;
  for (const Knob knob : config.knobs) {
    out.push_back({knob, (*tuner)->unavailable(knob, online).empty()});
  }
  return out;
}

Expected<void> errno_error(const std::string& what) { return make_error(what + ": " + std::strerror(errno)); }

// The textfile collector reads *.prom whenever it is scraped: a temporary
// beside the target (hidden, not *.prom, so never read) renamed over it
// means it reads the previous run's file or this one, never half of one.
Expected<void> write_atomically(const fs::path& output, std::string_view text) {
  const fs::path target = fs::absolute(output);
  std::string name = (target.parent_path() / ("." + target.filename().string() + ".XXXXXX")).string();
  std::vector<char> buf(name.begin(), name.end());
  buf.push_back('\0');
  const UniqueFd fd(::mkostemp(buf.data(), O_CLOEXEC));
  if (!fd) {
    return errno_error("cannot create a temporary file in " + target.parent_path().string());
  }
  const fs::path temp(buf.data());
  // mkostemp makes it 0600; node-exporter usually runs as a user of its own.
  if (::fchmod(fd.get(), 0644) != 0) {
    ::unlink(temp.c_str());
    return errno_error("cannot chmod " + temp.string());
  }
  // The directory's fsync is not required: the file is rewritten every run.
  auto ok = replace_with_temp(fd.get(), temp, target, text, /*dir_sync_required=*/false);
  if (!ok) {
    ::unlink(temp.c_str());
  }
  return ok;
}

}  // namespace

namespace {
std::optional<std::size_t> last_reconcile(const std::string& state_dir) {
  const auto text = read_file_if_any(std::filesystem::path(state_dir) / kLastReconcileFile);
  std::size_t value = 0;
  const std::string_view t = text ? trim(*text) : std::string_view{};
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  return text && ec == std::errc() && end == t.data() + t.size() ? std::optional<std::size_t>(value)
                                                                 : std::nullopt;
}
}  // namespace

int cmd_metrics(const ConfigLoad& loaded, const std::string& output, std::ostream& out, std::ostream& err) {
  const Config config = effective_config(loaded);
  Log log;  // metrics is read-only: nothing for the log
  NodeSession node(config, log);
  auto host = node.host();
  if (!host) {
    err << "runc-isolcpus-ctl metrics: cannot probe the host: " << host.error().message << '\n';
    return 1;
  }
  auto ledger = read_ledger_snapshot(config.state_dir);
  if (!ledger) {
    err << "runc-isolcpus-ctl metrics: cannot read the ledger: " << ledger.error().message << '\n';
    return 1;
  }
  StatusInput in;
  in.online = (*host)->online;
  in.boot_isolated = (*host)->boot_isolated;
  const LedgerView view = view_ledger(node, ledger->entries);
  in.entries = view.entries;
  (void)kernel_view(node, config, view, in);  // unknown: status counts no kernel-side problem either
  auto readings = read_tunings(node, in.entries);
  in.tuning_reads = std::move(readings.reads);
  in.tuning_wants = std::move(readings.wants);
  in.tuning_drifted = std::move(readings.drifted);
  const StatusView picture = build_status(in);

  MetricsInput m;
  m.online = in.online;
  m.isolated_cpus = picture.isolated;
  m.boot_isolated_cpus = picture.boot_isolated;
  m.problems = picture.problems;
  m.entries = in.entries;
  m.honoured = config.knobs;
  m.availability = availability(node, config, in.online);
  m.last_reconcile = last_reconcile(config.state_dir);
  const std::string text = render_metrics(m);
  if (output.empty()) {
    out << text;
    return 0;
  }
  if (auto wrote = write_atomically(output, text); !wrote) {
    err << "runc-isolcpus-ctl metrics: " << wrote.error().message << '\n';
    return 1;
  }
  return 0;
}

}  // namespace isolcpus
