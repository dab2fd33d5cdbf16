#include "urfave_reorder.hpp"

namespace isolcpus::cli {
namespace {

bool starts_with_dash(std::string_view s) { return !s.empty() && s[0] == '-'; }

// urfave's argIsFlag: strip "--" then one more "-", cut at '=', and look the
// rest up among the command's flag names.
bool arg_is_flag(std::span<const FlagSpec> flags, std::string_view arg) {
  if (arg == "-" || arg == "--" || !starts_with_dash(arg)) return false;
  if (arg.starts_with("--")) arg.remove_prefix(2);
  if (arg.starts_with("-")) arg.remove_prefix(1);
  arg = arg.substr(0, arg.find('='));
  return find_subcommand_flag(flags, arg).spec != nullptr;
}

}  // namespace

void reorder_urfave_1_22_1(std::span<const std::string_view> args, std::vector<std::string_view>& out) {
  out.clear();
  out.reserve(args.size());
  std::vector<std::string_view> nonflags;
  nonflags.reserve(args.size());
  bool read_flag_value = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--") {
      nonflags.insert(nonflags.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (read_flag_value && !starts_with_dash(arg)) {
      read_flag_value = false;
      out.push_back(arg);
      continue;
    }
    read_flag_value = false;
    if (arg != "-" && starts_with_dash(arg)) {
      out.push_back(arg);
      read_flag_value = arg.find('=') == std::string_view::npos;
    } else {
      nonflags.push_back(arg);
    }
  }
  out.insert(out.end(), nonflags.begin(), nonflags.end());
}

void reorder_urfave_1_22_14(std::span<const FlagSpec> flags, std::span<const std::string_view> args,
                            std::vector<std::string_view>& out) {
  out.clear();
  out.reserve(args.size());
  std::vector<std::string_view> remaining;
  remaining.reserve(args.size());
  bool next_may_be_value = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const bool is_flag = arg_is_flag(flags, arg);
    if (next_may_be_value && !is_flag) {
      next_may_be_value = false;
      out.push_back(arg);
    } else if (arg == "--") {
      // The delimiter goes before every positional seen so far.
      out.push_back(arg);
      out.insert(out.end(), remaining.begin(), remaining.end());
      out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      return;
    } else if (is_flag) {
      out.push_back(arg);
      next_may_be_value = arg.find('=') == std::string_view::npos;
    } else {
      remaining.push_back(arg);
    }
  }
  out.insert(out.end(), remaining.begin(), remaining.end());
}

}  // namespace isolcpus::cli
