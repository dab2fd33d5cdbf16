// `runc-isolcpus-ctl config`: the effective configuration as TOML that
// parse_config reads back to the same Config.
#pragma once

#include <string>
#include <string_view>

#include "isolcpus/config.hpp"

namespace isolcpus {

std::string toml_quote(std::string_view text);

// Pure.  Every key, in examples/config.toml's order.
std::string render_config_toml(const Config& config);

// Pure.  A comment header saying where the values came from and what was
// wrong with the file, then render_config_toml(effective).
std::string render_config_report(const ConfigLoad& loaded, const Config& effective);

}  // namespace isolcpus
