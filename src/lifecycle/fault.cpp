#include "fault.hpp"

#include <csignal>
#include <cstdlib>
#include <string>

namespace isolcpus {

std::function<void(std::string_view)> fault_checkpoint() {
#ifdef ISOLCPUS_FAULT_INJECTION
  const char* target = std::getenv("RUNC_ISOLCPUS_FAULT");  // NOLINT(concurrency-mt-unsafe)
  if (target == nullptr || *target == '\0') {
    return {};
  }
  return [wanted = std::string(target)](std::string_view step) {
    if (step == wanted ||
        (wanted.back() == '*' && step.starts_with(std::string_view(wanted).substr(0, wanted.size() - 1)))) {
      (void)std::raise(SIGKILL);
    }
  };
#else
  return {};
#endif
}

std::function<bool(std::string_view)> fault_fail_save() {
#ifdef ISOLCPUS_FAULT_INJECTION
  const char* target = std::getenv("RUNC_ISOLCPUS_FAIL_SAVE");  // NOLINT(concurrency-mt-unsafe)
  if (target == nullptr || *target == '\0') {
    return {};
  }
  // From the named save on, every save fails: a disk that filled up.
  return [wanted = std::string(target), full = false](std::string_view what) mutable {
    full = full || what == wanted || wanted == "*";
    return full;
  };
#else
  return {};
#endif
}

}  // namespace isolcpus
