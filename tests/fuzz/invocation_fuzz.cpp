// parse_invocation (the argv model of runc's grammar) on any argv: no crash
// or UB, and a command line it marks certain keeps its subcommand and
// container id when one of the subcommand's flags moves behind the id, the
// reordering urfave/cli undoes itself (runc 1.1 and 1.2+ alike): a flag that
// carries its own value (--name=value) or a boolean flag, on a line where
// urfave drags no word along (see drags_a_word).  Input: the arguments,
// NUL-separated.
#include <algorithm>
#include <string>
#include <vector>

#include "cli/go_flag.hpp"
#include "cli/runc_grammar.hpp"
#include "fuzz_support.hpp"
#include "isolcpus/parse_invocation.hpp"

namespace {

using isolcpus::RuncInvocation;
using isolcpus::Subcommand;
using isolcpus::fuzz::check;
namespace cli = isolcpus::cli;

constexpr std::string_view kCwd = "/run/fuzz";
using Args = std::vector<std::string_view>;

RuncInvocation parse(const Args& args) { return isolcpus::parse_invocation(args, kCwd); }

// Where the subcommand's name is: the first index whose prefix reads as
// global flags alone (a token consumed as a flag's value leaves its prefix
// short of that value, hence uncertain).
std::optional<std::size_t> subcommand_index(const Args& args, std::string_view name) {
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (args[k] != name) {
      continue;
    }
    const RuncInvocation globals = parse(Args(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(k)));
    if (globals.certain && globals.subcommand == Subcommand::kNone && !globals.help && !globals.version) {
      return k;
    }
  }
  return std::nullopt;
}

const cli::FlagSpec* flag_of(const cli::SubcommandSpec& sub, std::string_view token) {
  const cli::GoToken t = cli::classify_go_token(token);
  return t.cls == cli::TokenClass::kFlag ? cli::find_subcommand_flag(sub.flags, t.name).spec : nullptr;
}

bool is_word(const Args& args, std::size_t i) {
  return i < args.size() && (!args[i].starts_with('-') || args[i] == "-");
}

bool bare_dash(std::string_view token) {
  return token.starts_with('-') && token != "-" && token.find('=') == std::string_view::npos;
}

// Does urfave's reorder drag a word along that Go's flag package does not
// take as a flag's value?  Then Go stops at that word, and every flag urfave
// placed after it reads as an argument.  urfave drags the word after any
// dash token written without "=" (runc 1.1: even one that is a value).
bool drags_a_word(const cli::SubcommandSpec& sub, const Args& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const cli::FlagSpec* flag = flag_of(sub, args[i]);
    if (flag != nullptr && cli::takes_value(flag->kind) && bare_dash(args[i])) {
      if (i + 1 == args.size()) {
        // The line ends in a flag missing its value: a flag moved to the
        // end becomes that value (found by this harness in CI).
        return true;
      }
      if (args[i + 1] == "-") {
        // runc 1.1's urfave sets a lone "-" aside with the arguments, so a
        // flag moved behind it becomes this flag's value (found by this
        // harness: the model rightly reads that line as uncertain).
        return true;
      }
      ++i;  // its value, taken whatever it looks like
    }
    if (i < args.size() && bare_dash(args[i]) && is_word(args, i + 1)) {
      return true;
    }
  }
  return false;
}

// May token `j` of the subcommand's arguments move to the end of the line
// without changing what either urfave version makes of the rest?
bool movable(const cli::SubcommandSpec& sub, const Args& sub_args, std::size_t j) {
  const cli::FlagSpec* flag = flag_of(sub, sub_args[j]);
  if (flag == nullptr) {
    return false;
  }
  const bool bare = !cli::classify_go_token(sub_args[j]).value;
  if (bare && (cli::takes_value(flag->kind) || is_word(sub_args, j + 1))) {
    return false;  // it would take (or drag) another token with it
  }
  if (j > 0) {
    const cli::FlagSpec* before = flag_of(sub, sub_args[j - 1]);
    if (before != nullptr && cli::takes_value(before->kind) &&
        !cli::classify_go_token(sub_args[j - 1]).value) {
      return false;  // token j is that flag's value
    }
  }
  Args rest = sub_args;
  rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(j));
  return !drags_a_word(sub, rest);  // else the moved flag lands after that word
}

void check_reorderings(const Args& args, const RuncInvocation& inv) {
  const cli::SubcommandSpec* sub = cli::find_subcommand(inv.subcommand_name);
  if (sub == nullptr || !sub->reorders || !inv.container_id) {
    return;
  }
  const auto k = subcommand_index(args, inv.subcommand_name);
  check(k.has_value(), "a certain subcommand is found in its own argv");
  const Args sub_args(args.begin() + static_cast<std::ptrdiff_t>(*k) + 1, args.end());
  if (std::find(sub_args.begin(), sub_args.end(), "--") != sub_args.end()) {
    return;  // a terminator changes what counts as a flag
  }
  for (std::size_t j = 0; j + 1 < sub_args.size(); ++j) {
    if (!movable(*sub, sub_args, j)) {
      continue;
    }
    Args moved = args;
    const auto at = moved.begin() + static_cast<std::ptrdiff_t>(*k + 1 + j);
    std::rotate(at, at + 1, moved.end());
    const RuncInvocation again = parse(moved);
    check(again.certain, "a reordering urfave allows keeps the line certain");
    check(again.subcommand == inv.subcommand, "a reordering keeps the subcommand");
    check(again.container_id == inv.container_id, "a reordering keeps the container id");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto pieces = isolcpus::fuzz::split(isolcpus::fuzz::as_text(data, size), '\0');
  const Args args = size == 0 ? Args{} : Args(pieces.begin(), pieces.end());
  const RuncInvocation inv = parse(args);
  check(inv.certain || !inv.uncertainty.empty(), "an uncertain reading says why");
  check(inv.root.empty() || inv.root.starts_with('/'), "--root is made absolute");
  if (!inv.bundle.empty()) {
    check(inv.bundle.starts_with('/'), "--bundle is made absolute");
  }
  if (inv.certain) {
    check_reorderings(args, inv);
  }
  return 0;
}
