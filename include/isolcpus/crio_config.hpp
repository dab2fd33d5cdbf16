// What `runc-isolcpus-ctl configure crio` writes: a drop-in in
// /etc/crio/crio.conf.d holding one marked block, a runtime handler that
// runs the wrapper where CRI-O's default OCI handler runs runc, with that
// handler's settings (runtime_root above all, so runc's state and the
// wrapper's ledger agree).  Pure: texts in, text out.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "isolcpus/configure_edit.hpp"

namespace isolcpus {

struct CrioSource {
  std::string path;  // for messages
  std::string text;
};

// `dropin` is the current text of our drop-in ("" when absent); `sources`
// the files CRI-O reads before it, in its order (crio.conf, then the other
// drop-ins by name).  Refused, naming the file and line, when one of them
// does not parse or defines the handler itself.
Expected<ConfigureResult> configure_crio(std::string_view dropin, std::string_view dropin_path,
                                         const std::vector<CrioSource>& sources,
                                         const ConfigureRequest& request);

}  // namespace isolcpus
