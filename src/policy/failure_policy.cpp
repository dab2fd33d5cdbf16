#include "isolcpus/failure_policy.hpp"

namespace isolcpus {

FailureResponse failure_response(OnFailure on_failure, std::string_view reason,
                                 const FailureWording& wording) {
  FailureResponse response;
  if (on_failure == OnFailure::kFail) {
    response.stop = true;
    response.message = std::string(reason);
    if (!wording.stopping.empty()) {
      response.message += "; " + std::string(wording.stopping);
    }
    return response;
  }
  response.message = std::string(reason) + " (on_failure = \"warn\": " + std::string(wording.going_on) + ")";
  response.caller_note = std::string(reason) + " (" + std::string(wording.going_on) + ")";
  return response;
}

}  // namespace isolcpus
