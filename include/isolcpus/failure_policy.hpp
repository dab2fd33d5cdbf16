// on_failure, decided once for every adapter (the wrapper's calls, the OCI
// hook): what a failure to isolate a container that asked for it does to
// the call.  Each adapter only says it its own way (stderr, the caller's
// --log, an exit status).
#pragma once

#include <string>
#include <string_view>

#include "isolcpus/config.hpp"

namespace isolcpus {

struct FailureWording {
  // What going on means for this caller, e.g. "continuing without isolation".
  std::string_view going_on = "continuing without isolation";
  // What stopping leaves behind, when worth saying (appended to the reason).
  std::string_view stopping = {};
};

struct FailureResponse {
  bool stop = false;
  // stop: the error (our log, the caller's stderr); go on: the warning for our log.
  std::string message;
  // go on: the warning for the caller's own log, which needs no config key.
  std::string caller_note;
};

// Pure.  "fail" stops the call with the reason; "warn" lets it go on
// without isolation and says so.
FailureResponse failure_response(OnFailure on_failure, std::string_view reason,
                                 const FailureWording& wording = {});

}  // namespace isolcpus
