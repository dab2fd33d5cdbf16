// The operator's side: `runc-isolcpus-ctl <command>`, a binary of its own,
// so it can never be mistaken for a runc command line and the wrapper carries
// none of its code.
#pragma once

#include <string_view>

namespace isolcpus {

inline constexpr std::string_view kCtlName = "runc-isolcpus-ctl";

int ctl_main(int argc, char** argv);

}  // namespace isolcpus
