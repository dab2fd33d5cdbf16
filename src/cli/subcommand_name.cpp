#include "isolcpus/parse_invocation.hpp"

namespace isolcpus {

std::string_view to_string(Subcommand s) {
  switch (s) {
    case Subcommand::kNone:
      return "none";
    case Subcommand::kCheckpoint:
      return "checkpoint";
    case Subcommand::kCreate:
      return "create";
    case Subcommand::kDelete:
      return "delete";
    case Subcommand::kEvents:
      return "events";
    case Subcommand::kExec:
      return "exec";
    case Subcommand::kFeatures:
      return "features";
    case Subcommand::kHelp:
      return "help";
    case Subcommand::kInit:
      return "init";
    case Subcommand::kKill:
      return "kill";
    case Subcommand::kList:
      return "list";
    case Subcommand::kPause:
      return "pause";
    case Subcommand::kPs:
      return "ps";
    case Subcommand::kRestore:
      return "restore";
    case Subcommand::kResume:
      return "resume";
    case Subcommand::kRun:
      return "run";
    case Subcommand::kSpec:
      return "spec";
    case Subcommand::kStart:
      return "start";
    case Subcommand::kState:
      return "state";
    case Subcommand::kUpdate:
      return "update";
  }
  return "unknown";
}

}  // namespace isolcpus
