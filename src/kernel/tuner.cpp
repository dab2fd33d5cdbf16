// The generic half of every tuning: record, write, reference-count and
// restore files.  What to write where is each knob's (src/kernel/knob_*.cpp).
#include "isolcpus/tuner.hpp"

#include <algorithm>
#include <map>

namespace isolcpus {
namespace {

// The other holders of each file, gathered once per call: a node with
// thousands of IRQs and dozens of pods has ~10^5 changes, and a scan per
// file would be quadratic.
class Holders {
 public:
  explicit Holders(const std::vector<TuningChange>& changes) {
    for (const auto& c : changes) {
      by_file_[c.file].push_back(c);
    }
  }
  [[nodiscard]] const std::vector<TuningChange>& of(const std::string& file) const {
    const auto it = by_file_.find(file);
    return it == by_file_.end() ? none_ : it->second;
  }

 private:
  std::map<std::string, std::vector<TuningChange>> by_file_;
  std::vector<TuningChange> none_;
};

std::vector<TuningChange> with(std::vector<TuningChange> changes, const TuningChange& more) {
  changes.push_back(more);
  return changes;
}

}  // namespace

// Every write of a change's file: a file it created is made and removed.
Expected<void> Tuner::put(const TuningChange& change, const std::string& value) {
  if (change.original != kAbsentFile) {
    return files_.write(change.file, value);
  }
  return value == kAbsentFile ? files_.remove(change.file) : files_.create(change.file, value);
}

bool KnobDriver::holds(const std::vector<TuningChange>& holders, std::string_view now) const {
  return now == combined(holders);
}

std::string KnobDriver::combined(const std::vector<TuningChange>& holders) const {
  return holders.front().written;
}

Tuner::Tuner(KernelFiles& files, const TuningHost& host) : files_(files) {
  drivers_.push_back(make_quota_driver(files, host));
  drivers_.push_back(make_cstates_driver(files, host));
  drivers_.push_back(make_governor_driver(files, host));
  drivers_.push_back(make_irq_driver(files, host));
}

const KnobDriver& Tuner::driver(Knob knob) const {
  return **std::find_if(drivers_.begin(), drivers_.end(), [&](const auto& d) { return d->knob() == knob; });
}

KnobDriver& Tuner::driver(Knob knob) {
  return **std::find_if(drivers_.begin(), drivers_.end(), [&](const auto& d) { return d->knob() == knob; });
}

std::string Tuner::want(const std::vector<TuningChange>& holders) const {
  return driver(holders.front().knob).combined(holders);
}

std::optional<std::string> Tuner::read(const std::string& file) const {
  if (!files_.exists(file)) {
    return std::nullopt;
  }
  auto now = files_.read(file);
  return now ? *now : "? (" + now.error().message + ")";
}

bool Tuner::satisfied(const std::vector<TuningChange>& holders, std::string_view now) const {
  return driver(holders.front().knob).holds(holders, now);
}

std::string Tuner::unavailable(Knob knob, const CpuSet& cpus) const { return driver(knob).unavailable(cpus); }

Expected<std::vector<TuningChange>> Tuner::plan(const std::vector<Tuning>& tunings, const CpuSet& cpus,
                                                const CgroupPath& cgroup,
                                                const std::vector<TuningChange>& others,
                                                const SystemdUnits& units) {
  std::vector<TuningChange> all;
  const Holders holders(others);
  for (const auto& tuning : tunings) {
    const KnobDriver& d = driver(tuning.knob);
    auto planned = driver(tuning.knob).plan(KnobTarget{tuning, cpus, cgroup, units});
    if (!planned) {
      return make_error(std::string(knob_name(tuning.knob)) + "=" + tuning.value + ": " +
                        planned.error().message);
    }
    for (auto& change : *planned) {
      const auto& held = holders.of(change.file);
      if (held.empty() && d.combines() && change.original == change.written) {
        continue;  // an IRQ already off these CPUs: nothing to hold
      }
      if (!held.empty()) {
        // Held already: the file's original is the first holder's, not
        // what it reads now (the holders' value).
        change.original = held.front().original;
        if (!d.combines() && held.front().written != change.written) {
          return make_error(std::string(knob_name(tuning.knob)) + "=" + tuning.value + ": " + change.file +
                            " is held at \"" + held.front().written +
                            "\" by another container (they share it); both must ask for the same value");
        }
      }
      all.push_back(std::move(change));
    }
  }
  return all;
}

Expected<TuningApplied> Tuner::apply(const std::vector<TuningChange>& mine,
                                     const std::vector<TuningChange>& others) {
  TuningApplied applied;
  const Holders holders(others);
  for (const auto& change : mine) {
    const std::string value = want(with(holders.of(change.file), change));
    auto wrote = put(change, value);
    if (wrote) {
      applied.made.push_back(change);
      continue;
    }
    if (driver(change.knob).optional(change)) {
      // Kept in the record as taking no CPU and writing nothing, so later
      // calls know it was tried and leave it alone.
      TuningChange left = change;
      left.cpus = CpuSet{};
      left.written = change.original;
      applied.made.push_back(std::move(left));
      applied.notes.push_back(std::string(knob_name(change.knob)) + ": left alone: " + wrote.error().message);
      continue;
    }
    auto undone = release(applied.made, others);
    std::string message = wrote.error().message;
    for (const auto& p : undone.problems) {
      message += "; and while undoing: " + p;
    }
    return make_error(std::string(knob_name(change.knob)) + ": " + message);
  }
  return applied;
}

TuningRelease Tuner::release(const std::vector<TuningChange>& mine, const std::vector<TuningChange>& others) {
  TuningRelease result;
  const Holders holders(others);
  // Reverse order: a pod's quota comes back after its container's.
  for (auto it = mine.rbegin(); it != mine.rend(); ++it) {
    const TuningChange& change = *it;
    if (!files_.exists(change.file)) {
      continue;  // gone with its cgroup: nothing left to restore
    }
    const auto& held = holders.of(change.file);
    const std::string target = held.empty() ? change.original : want(held);
    auto now = files_.read(change.file);
    if (now && *now == target) {
      continue;
    }
    if (now && held.empty() && *now != want(with(held, change)) && *now != change.written) {
      // Someone else changed it since (an operator, a tool): theirs now.
      continue;
    }
    if (auto wrote = put(change, target); !wrote) {
      result.left.insert(result.left.begin(), change);
      result.problems.push_back("cannot restore " + change.file + " to \"" + target +
                                "\": " + wrote.error().message);
    }
  }
  return result;
}

bool Tuner::vanished(const TuningChange& change) const {
  return change.original != kAbsentFile && !files_.exists(change.file);
}

std::vector<std::string> Tuner::enforce(const std::vector<TuningChange>& held) {
  // By file, once (a node with thousands of IRQs holds thousands of files).
  std::map<std::string, std::vector<TuningChange>> by_file;
  for (const auto& change : held) {
    by_file[change.file].push_back(change);
  }
  std::map<Knob, std::vector<std::string>> set_back;
  for (const auto& [file, holders] : by_file) {
    const TuningChange& change = holders.front();
    if (!files_.exists(file)) {
      continue;
    }
    const std::string value = want(holders);
    auto now = files_.read(file);
    if (now && driver(change.knob).holds(holders, *now)) {
      continue;
    }
    auto wrote = put(change, value);
    set_back[change.knob].push_back(
        file + " read \"" + (now ? *now : "?") + "\", " +
        (wrote ? "set back to \"" + value + "\"" : "cannot set it back: " + wrote.error().message));
  }
  // One line per knob: irqbalance without our list moves hundreds of IRQs.
  constexpr std::size_t kShown = 3;
  std::vector<std::string> notes;
  for (const auto& [knob, lines] : set_back) {
    std::string note = std::string(knob_name(knob)) + ": ";
    for (std::size_t i = 0; i < lines.size() && i < kShown; ++i) {
      note += (i == 0 ? "" : "; ") + lines[i];
    }
    if (lines.size() > kShown) {
      note += "; and " + std::to_string(lines.size() - kShown) + " more";
    }
    notes.push_back(std::move(note));
  }
  return notes;
}

}  // namespace isolcpus
