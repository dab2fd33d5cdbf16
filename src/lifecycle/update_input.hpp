// `runc update`'s input, read the way runc will read it and without taking
// anything from runc: the caller's stdin is consumed only when runc would
// read it too (`-r -`, `-r /dev/stdin`, `-r /proc/self/fd/0`...), and then
// replayed to runc byte for byte.
#pragma once

#include <optional>
#include <string>

#include "call_inputs.hpp"

namespace isolcpus {

// Fills in.new_cpus and in.stdin_bytes (in.refusal when stdin could only be
// read in part).  Returns why the document could not be read at all without
// taking it from runc (a FIFO or device other than this call's stdin), for
// the caller to refuse the update of a container it isolates.
std::optional<std::string> read_update_input(const Call& call, CallInputs& in);

}  // namespace isolcpus
