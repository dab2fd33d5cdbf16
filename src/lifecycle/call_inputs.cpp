#include "call_inputs.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "child_runtime.hpp"
#include "isolcpus/ledger.hpp"
#include "runc_state.hpp"

namespace isolcpus {
namespace {

// The entry as the ledger showed it a moment ago, without the lock: only a
// hint of what to read (the lock-holding step checks again).
std::optional<LedgerEntry> peek_entry(const Call& call) {
  auto data = read_ledger_snapshot(call.config.state_dir);
  if (!data) {
    return std::nullopt;
  }
  for (const auto& e : data->entries) {
    if (e.same_container(call.inv.root, *call.inv.container_id)) {
      return e;
    }
  }
  return std::nullopt;
}

Expected<std::string> read_resources_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);  // relative to the caller's cwd, like runc
  if (!in) {
    return make_error("cannot open " + path);  // runc reports it in its own words
  }
  std::string text(kMaxUpdateBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxUpdateBytes) {
    return make_error(path + " is larger than " + std::to_string(kMaxUpdateBytes) + " bytes");
  }
  return text;
}

void read_update_cpus(const Call& call, CallInputs& in) {
  const auto& req = call.inv.update;
  if (req.resources) {
    const bool from_stdin = *req.resources == "-";
    Expected<std::string> text =
        from_stdin ? read_all_stdin(kMaxUpdateBytes) : read_resources_file(*req.resources);
    if (!text) {
      call.log.warn(text.error().message);
      if (from_stdin) {
        in.refusal = text.error().message;  // part of stdin is gone: runc cannot get it whole
      }
      return;
    }
    if (from_stdin) {
      in.stdin_bytes = *text;
    }
    auto cpus = parse_update_cpus(*text, from_stdin ? "update resources on stdin" : *req.resources);
    if (!cpus) {
      call.log.warn(cpus.error().message);
      return;
    }
    in.new_cpus = *cpus;
    return;  // with -r, runc ignores the other update flags
  }
  if (req.cpuset_cpus) {
    auto cpus = CpuSet::parse(*req.cpuset_cpus);
    if (cpus && !cpus->empty()) {
      in.new_cpus = *cpus;
    }
  }
}

}  // namespace

CallInputs read_call_inputs(const Call& call) {
  CallInputs in;
  const std::string& id = *call.inv.container_id;
  switch (call.inv.subcommand) {
    case Subcommand::kCreate:
    case Subcommand::kRun:
    case Subcommand::kRestore: {
      struct stat st {};
      in.id_taken =
          valid_container_id(id) && ::lstat((std::filesystem::path(call.inv.root) / id).c_str(), &st) == 0;
      in.bundle = call.inv.bundle;
      in.spec = read_container_spec(in.bundle);
      break;
    }
    case Subcommand::kStart:
      if (call.config.mode != Mode::kNever && !peek_entry(call)) {
        // A start with no decision: the create went through an older wrapper,
        // or its decision was lost.  runc keeps the bundle in its state.
        auto state = read_runc_state(call.inv.root, id);
        if (state && *state && !(*state)->bundle.empty()) {
          in.bundle = (*state)->bundle;
          in.spec = read_container_spec(in.bundle);
        }
      }
      break;
    case Subcommand::kUpdate:
      // Always: whether the container is ours is only known under the lock,
      // and a cpus change that slipped through unseen would invalidate its
      // partition.  The bytes are replayed to runc exactly.
      read_update_cpus(call, in);
      if (auto entry = peek_entry(call); entry) {
        in.bundle = entry->bundle;
        in.spec = read_container_spec(in.bundle);
      }
      break;
    default:
      break;
  }
  return in;
}

}  // namespace isolcpus
