#include "tuning_readings.hpp"

namespace isolcpus {

TuningReadings read_tunings(NodeSession& node, const std::vector<LedgerEntry>& entries) {
  TuningReadings out;
  std::map<std::string, std::vector<TuningChange>> holders;
  for (const auto& e : entries) {
    for (const auto& c : e.tuning_changes) {
      holders[c.file].push_back(c);
    }
  }
  if (holders.empty()) {
    return out;
  }
  auto tuner = node.tuner();
  if (!tuner) {
    out.error = "the tunings' files cannot be read: " + tuner.error().message;
    return out;
  }
  for (const auto& [file, held] : holders) {
    const auto now = (*tuner)->read(file);
    out.reads[file] = now ? *now : "(gone)";
    out.wants[file] = (*tuner)->want(held);
    if (now && !(*tuner)->satisfied(held, *now)) {
      out.drifted.insert(file);
    }
  }
  return out;
}

}  // namespace isolcpus
