#include "call_inputs.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <memory>

#include "isolcpus/ledger.hpp"
#include "runc_state.hpp"
#include "update_input.hpp"

namespace isolcpus {
namespace {

// The bundle runc will chdir into, as the kernel resolves it (symlinks
// before ".."), and as runc's os.Getwd() will name it in its state.  A path
// that does not resolve is kept: runc fails on it, and so does the read.
std::string resolve_bundle(const std::string& bundle) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(bundle.c_str(), nullptr), &std::free);
  return real ? std::string(real.get()) : bundle;
}

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
      in.bundle = resolve_bundle(call.inv.bundle);
      in.spec = read_container_spec(in.bundle);
      break;
    }
    case Subcommand::kStart:
      if (call.config.mode != Mode::kNever && !peek_entry(call)) {
        // A start with no decision: the create went through an older wrapper,
        // or its decision was lost.  runc keeps the bundle in its state.  A
        // crun container without a cgroup (created with --cgroup-manager=
        // disabled) is not judged again: its init runs in its caller's cgroup.
        auto state = read_runc_state(call.inv.root, id);
        if (state && *state && !(*state)->bundle.empty() && !(*state)->no_cgroup) {
          in.bundle = (*state)->bundle;
          in.spec = read_container_spec(in.bundle);
        }
      }
      break;
    case Subcommand::kUpdate: {
      // Always: whether the container is ours is only known under the lock,
      // and a cpus change that slipped through unseen would invalidate its
      // partition.  The bytes are replayed to runc exactly.
      const auto unreadable = read_update_input(call, in);
      const auto entry = peek_entry(call);
      if (entry) {
        in.bundle = entry->bundle;
        in.spec = read_container_spec(in.bundle);
      }
      if (unreadable && entry && !in.refusal) {
        in.refusal =
            *unreadable + "; container " + id +
            " is one runc-isolcpus isolates, so an update whose cpus cannot be seen is refused: pass the "
            "resources in a regular file or on stdin";
      } else if (unreadable) {
        call.log.debug(*unreadable + "; not ours, passed through");
      }
      break;
    }
    default:
      break;
  }
  return in;
}

}  // namespace isolcpus
