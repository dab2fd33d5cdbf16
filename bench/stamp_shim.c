/* stamp_shim: bare_shim plus one timestamp, for bench/run-lifecycle-bench.
 *
 * Appends "<CLOCK_MONOTONIC ns>\n" to the file named by $STAMP_FILE, then
 * execv's the runtime exactly as bare_shim does.  Configured as the wrapper's
 * `runtime`, it marks the moment the wrapper hands over (the wrapper execs
 * its runtime in place, same PID), so stamp - spawn time is the wrapper's
 * pre-exec work plus two execs; spawned directly, it gives the same figure
 * for zero work (one exec), the floor to subtract.  Python's
 * time.perf_counter_ns() is CLOCK_MONOTONIC on Linux.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifndef STAMP_SHIM_RUNTIME
#define STAMP_SHIM_RUNTIME "/usr/sbin/runc"
#endif

int main(int argc, char** argv) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const char* file = getenv("STAMP_FILE");
  if (file != NULL && *file != '\0') {
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      char line[32];
      int n = snprintf(line, sizeof line, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
      if (write(fd, line, (size_t)n) != n) {
        perror("stamp_shim: write");
      }
      close(fd);
    }
  }
  static char runtime[] = STAMP_SHIM_RUNTIME;
  if (argc > 0) {
    argv[0] = runtime;
  }
  execv(runtime, argv);
  perror("stamp_shim: execv " STAMP_SHIM_RUNTIME);
  return 1;
}
