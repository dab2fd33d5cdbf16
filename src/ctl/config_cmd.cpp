// config: print what the wrapper would act on.
#include <ostream>

#include "commands.hpp"
#include "config_view.hpp"

namespace isolcpus {

int cmd_config(const ConfigLoad& loaded, std::ostream& out, std::ostream& /*err*/) {
  out << render_config_report(loaded, effective_config(loaded));
  return loaded.problems.empty() ? 0 : 1;
}

}  // namespace isolcpus
