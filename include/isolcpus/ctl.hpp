// The operator's side: `runc-isolcpus-ctl <command>` (the same binary under
// a second name, so it can never be mistaken for a runc command line).
#pragma once

#include <string_view>

namespace isolcpus {

inline constexpr std::string_view kCtlName = "runc-isolcpus-ctl";

int ctl_main(int argc, char** argv);

}  // namespace isolcpus
