// runc-isolcpus-ctl: the operator's tool (src/ctl).  A binary of its own, so
// the wrapper that every probe of every pod execs carries none of its code or
// static initialisers (iostream, CLI11).
#include "isolcpus/ctl_main.hpp"

int main(int argc, char** argv) { return isolcpus::ctl_main(argc, argv); }
