// The pass-through path (state, ps, exec probes...) needs one key of the
// config, `runtime`, and runs on every probe of every pod.  A full TOML parse
// touches enough of the parser's pages to show in the exec budget
// (docs/BENCHMARK.md), so this reads that one key when it is written in the
// plain form our example uses, and answers "unsure" for anything else, which
// sends the caller to the full parser.  Both always agree on the result.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "isolcpus/config.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kBlank = " \t";

RuntimeKey unsure() { return {RuntimeKey::Kind::kUnsure, {}}; }

std::string_view skip_blank(std::string_view s) {
  const auto first = s.find_first_not_of(kBlank);
  return first == std::string_view::npos ? std::string_view{} : s.substr(first);
}

// `line` starts at its first non-blank character and begins with "runtime".
RuntimeKey read_value(std::string_view line) {
  std::string_view rest = skip_blank(line.substr(7));
  if (rest.empty() || rest.front() != '=') {
    return unsure();  // "runtime.x = ...", "runtimes = ...", a syntax error...
  }
  rest = skip_blank(rest.substr(1));
  if (rest.size() < 2 || rest.front() != '"') {
    return unsure();
  }
  const auto close = rest.find('"', 1);
  if (close == std::string_view::npos) {
    return unsure();
  }
  const std::string_view value = rest.substr(1, close - 1);
  if (value.empty() || value.front() != '/' ||
      value.find_first_of(std::string_view("\\\0", 2)) != std::string_view::npos) {
    return unsure();  // escapes and invalid values are the full parser's business
  }
  const std::string_view tail = skip_blank(rest.substr(close + 1));
  if (!tail.empty() && tail.front() != '#') {
    return unsure();
  }
  return {RuntimeKey::Kind::kFound, std::string(value)};
}

}  // namespace

RuntimeKey scan_runtime_key(std::string_view text) {
  // toml++ skips a UTF-8 byte order mark at the start; so must we, or the
  // first line's key is not "runtime" here and is there.
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  if (text.find("\"\"\"") != std::string_view::npos || text.find("'''") != std::string_view::npos ||
      text.find('\r') != std::string_view::npos) {
    return unsure();  // multi-line strings could hide or fake a line
  }
  RuntimeKey found{RuntimeKey::Kind::kAbsent, {}};
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = skip_blank(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.front() == '[' || line.front() == '"' || line.front() == '\'') {
      return unsure();  // tables and quoted keys: not our flat, bare-key format
    }
    if (!line.starts_with("runtime")) {
      continue;
    }
    if (found.kind != RuntimeKey::Kind::kAbsent) {
      return unsure();  // defined twice: an error the full parser reports
    }
    found = read_value(line);
    if (found.kind == RuntimeKey::Kind::kUnsure) {
      return unsure();
    }
  }
  return found;
}

RuntimeKey read_runtime_key(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return {errno == ENOENT ? RuntimeKey::Kind::kAbsent : RuntimeKey::Kind::kUnsure, {}};
  }
  // Config files are small; a larger one goes to the full parser.
  char buf[16384];
  std::size_t used = 0;
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf + used, sizeof buf - used);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return unsure();
    }
    if (n == 0) {
      break;
    }
    used += static_cast<std::size_t>(n);
    if (used == sizeof buf) {
      return unsure();
    }
  }
  return scan_runtime_key(std::string_view(buf, used));
}

}  // namespace isolcpus
