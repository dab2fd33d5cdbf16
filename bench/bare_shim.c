/* bare_shim: the cheapest possible runc wrapper, the floor any wrapper pays.
 *
 * It does exactly what runc-isolcpus does on its pass-through path and
 * nothing else: replace argv[0] with the runtime's path and execv in place.
 * bench/run-bench times runc-isolcpus against this and against runc itself.
 */
#include <stdio.h>
#include <unistd.h>

#ifndef BARE_SHIM_RUNTIME
#define BARE_SHIM_RUNTIME "/usr/bin/runc"
#endif

int main(int argc, char** argv) {
  static char runtime[] = BARE_SHIM_RUNTIME;
  if (argc > 0) {
    argv[0] = runtime;
  }
  execv(runtime, argv);
  perror("bare_shim: execv " BARE_SHIM_RUNTIME);
  return 1;
}
