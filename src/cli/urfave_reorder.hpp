// urfave/cli v1 moves a subcommand's flags in front of its positionals before
// Go's flag package (which stops at the first positional) reads them.  The
// two urfave versions runc 1.1-1.5 vendor do it differently:
//   - v1.22.1 (runc 1.1): every token starting with '-' is a flag;
//   - v1.22.14+ (runc 1.2-1.5): only the command's own flag names are.
// Both also move the token after a flag written without "=" next to it, even
// when that flag is a bool, so `create --no-pivot ID --bundle B` ends up as
// `--no-pivot ID --bundle B` and runc sees three positionals.  Reproducing the
// reorder exactly is the only way to agree with runc on such command lines.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "runc_grammar.hpp"

namespace isolcpus::cli {

// runc 1.1 (urfave/cli v1.22.1).  `out` is cleared first.
void reorder_urfave_1_22_1(std::span<const std::string_view> args, std::vector<std::string_view>& out);

// runc 1.2-1.5 (urfave/cli v1.22.14-v1.22.17); `flags` is the subcommand's
// table (the help flag is implied).  `out` is cleared first.
void reorder_urfave_1_22_14(std::span<const FlagSpec> flags, std::span<const std::string_view> args,
                            std::vector<std::string_view>& out);

}  // namespace isolcpus::cli
