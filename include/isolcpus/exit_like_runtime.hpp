// Ending the way the runtime ended, when it ran as our child.
#pragma once

namespace isolcpus {

// When the runtime ran as our child (`update`), its end becomes ours, so the
// caller sees what it would have seen of runc itself: `status` >= 0 is
// returned as the exit status; -N (death by signal N) makes this process
// die of signal N (default disposition, unblocked, no core dump of ours).
int exit_like_runtime(int status);

}  // namespace isolcpus
