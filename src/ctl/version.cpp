#include <ostream>

#include "commands.hpp"

namespace isolcpus {

int cmd_version(std::ostream& out) {
  out << "runc-isolcpus " << ISOLCPUS_VERSION << '\n';
  return 0;
}

}  // namespace isolcpus
