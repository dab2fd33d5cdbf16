// The engine's header moved to include/isolcpus/node_session.hpp; this one
// stays for the files a parallel branch still changes (src/ctl/status.cpp,
// check.cpp) and goes once they include the public one.
#pragma once

#include "isolcpus/node_session.hpp"
