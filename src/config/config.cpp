// The operator's TOML file -> Config.  All-or-nothing: a file with any
// problem is not applied at all, because half of an operator's intent (say,
// mode=always without the allowed_namespaces that was meant to go with it) is
// worse than the documented defaults.  Every problem is collected, not just
// the first, so one round of editing fixes them all.

// Compile toml++ into this file rather than call Debian's libtomlplusplus.so:
// the wrapper links libstdc++ statically and runs on every pod lifecycle
// call, and a shared toml++ would bring the loader cost of itself and of the
// shared libstdc++ it needs (two libstdc++ copies in one process, too).
// CMake's imported target defines both macros; override them before any
// include can see them.
#undef TOML_SHARED_LIB
#define TOML_SHARED_LIB 0
#undef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 1

#include "isolcpus/config.hpp"

#include <fcntl.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

#include "isolcpus/text.hpp"
#include "isolcpus/toml_guard.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Collects problems, each prefixed "<file>:<line>: key '<key>': ".
class Problems {
 public:
  Problems(const std::filesystem::path& origin, std::vector<std::string>& out) : origin_(origin), out_(out) {}

  void add(const toml::source_region& where, std::string_view key, std::string_view what) {
    std::string msg = origin_.string();
    msg += ':';
    msg += std::to_string(where.begin.line);
    msg += ": key '";
    msg += key;
    msg += "': ";
    msg += what;
    out_.push_back(std::move(msg));
  }
  void add_raw(std::string msg) { out_.push_back(std::move(msg)); }
  [[nodiscard]] const std::filesystem::path& origin() const { return origin_; }

 private:
  const std::filesystem::path& origin_;
  std::vector<std::string>& out_;
};

// One key being read: its name, its node, and where to report.
struct Item {
  std::string_view key;
  const toml::node& node;
  Problems& problems;

  void problem(std::string_view what) const { problems.add(node.source(), key, what); }
  void wrong_type(std::string_view expected) const {
    problem("expected " + std::string(expected) + ", got " + std::string(type_name(node.type())));
  }

  [[nodiscard]] const std::string* string() const {
    const auto* value = node.as_string();
    if (value == nullptr) {
      wrong_type("a string");
      return nullptr;
    }
    return &value->get();
  }

  // An integer in [lo, hi]; nullopt (problem recorded) otherwise.
  [[nodiscard]] std::optional<std::int64_t> integer(std::int64_t lo, std::int64_t hi) const {
    const auto* value = node.as_integer();
    if (value == nullptr) {
      wrong_type("an integer");
      return std::nullopt;
    }
    const std::int64_t v = value->get();
    if (v < lo || v > hi) {
      problem(std::to_string(v) + " is out of range; use a value from " + std::to_string(lo) + " to " +
              std::to_string(hi));
      return std::nullopt;
    }
    return v;
  }

  // An absolute path.  `allow_empty` for keys where "" means "not set".
  [[nodiscard]] std::optional<std::string> absolute_path(bool allow_empty) const {
    const auto* s = string();
    if (s == nullptr) {
      return std::nullopt;
    }
    if (s->empty() && allow_empty) {
      return *s;
    }
    if (s->find('\0') != std::string::npos) {
      problem("the path contains a NUL character");
      return std::nullopt;
    }
    if (!std::filesystem::path(*s).is_absolute()) {
      problem("\"" + *s + "\" is not an absolute path; write it starting with '/'");
      return std::nullopt;
    }
    return *s;
  }

  // One of `choices`; returns its index.
  template <std::size_t N>
  [[nodiscard]] std::optional<std::size_t> choice(const std::array<std::string_view, N>& choices) const {
    const auto* s = string();
    if (s == nullptr) {
      return std::nullopt;
    }
    for (std::size_t i = 0; i < N; ++i) {
      if (*s == choices[i]) {
        return i;
      }
    }
    std::string list;
    for (const auto c : choices) {
      list += list.empty() ? "" : ", ";
      list += c;
    }
    problem("\"" + *s + "\" is not valid; use one of " + list);
    return std::nullopt;
  }
};

void read_runtime(const Item& item, Config& c) {
  if (auto v = item.absolute_path(/*allow_empty=*/true)) {
    c.runtime = std::move(*v);
  }
}

void read_log_file(const Item& item, Config& c) {
  // Relative would land in whatever directory the caller ran runc from
  // (usually the bundle), so insist on absolute.
  if (auto v = item.absolute_path(/*allow_empty=*/false)) {
    c.log_file = std::move(*v);
  }
}

void read_log_level(const Item& item, Config& c) {
  static constexpr std::array<std::string_view, 6> kLevels = {"trace", "debug", "info",
                                                              "warn",  "error", "off"};
  if (auto i = item.choice(kLevels)) {
    c.log_level = std::string(kLevels[*i]);
  }
}

void read_log_max_bytes(const Item& item, Config& c) {
  // spdlog's rotating sink rejects 0; 1 GiB is far beyond any sane log.
  if (auto v = item.integer(1, std::int64_t{1} << 30)) {
    c.log_max_bytes = static_cast<std::uint64_t>(*v);
  }
}

void read_log_max_files(const Item& item, Config& c) {
  if (auto v = item.integer(0, 1000)) {
    c.log_max_files = static_cast<unsigned>(*v);
  }
}

void read_log_target(const Item& item, Config& c) {
  static constexpr std::array<std::string_view, 2> kTargets = {"file", "journal"};
  if (auto i = item.choice(kTargets)) {
    c.log_to_journal = *i == 1;
  }
}

void read_mode(const Item& item, Config& c) {
  static constexpr std::array<std::string_view, 3> kModes = {"annotation", "always", "never"};
  static constexpr std::array<Mode, 3> kValues = {Mode::kAnnotation, Mode::kAlways, Mode::kNever};
  if (auto i = item.choice(kModes)) {
    c.mode = kValues[*i];
  }
}

void read_on_failure(const Item& item, Config& c) {
  static constexpr std::array<std::string_view, 2> kNames = {"fail", "warn"};
  static constexpr std::array<OnFailure, 2> kValues = {OnFailure::kFail, OnFailure::kWarn};
  if (auto i = item.choice(kNames)) {
    c.on_failure = kValues[*i];
  }
}

void read_allowed_namespaces(const Item& item, Config& c) {
  const auto* array = item.node.as_array();
  if (array == nullptr) {
    item.wrong_type("an array of strings, e.g. [\"telco\", \"rt\"]");
    return;
  }
  std::vector<std::string> names;
  bool ok = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* s = (*array)[i].as_string();
    if (s == nullptr || s->get().empty()) {
      item.problem("element " + std::to_string(i) + " must be a non-empty namespace name, got " +
                   (s == nullptr ? std::string(type_name((*array)[i].type())) : std::string("\"\"")));
      ok = false;
      continue;
    }
    names.push_back(s->get());
  }
  if (ok) {
    c.allowed_namespaces = std::move(names);
  }
}

void read_isolatable_cpus(const Item& item, Config& c) {
  const auto* s = item.string();
  if (s == nullptr) {
    return;
  }
  auto cpus = CpuSet::parse(*s);
  if (!cpus) {
    item.problem("\"" + *s + "\" is not a CPU list (" + cpus.error().message +
                 "); write it like \"2-7\" or \"2,4-6\"");
    return;
  }
  // "" reads as the empty set; treat it as "not set" (any online CPU) rather
  // than "nothing may be isolated", which mode=never already says plainly.
  if (cpus->empty()) {
    c.isolatable_cpus.reset();
  } else {
    c.isolatable_cpus = std::move(*cpus);
  }
}

void read_knobs(const Item& item, Config& c) {
  const auto* array = item.node.as_array();
  if (array == nullptr) {
    item.wrong_type("an array of knob names, e.g. [\"cpu-quota\", \"cpu-c-states\"]");
    return;
  }
  std::vector<Knob> knobs;
  bool ok = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* s = (*array)[i].as_string();
    const auto knob = s == nullptr ? std::nullopt : knob_from_name(s->get());
    if (!knob) {
      item.problem("element " + std::to_string(i) +
                   " must be one of \"cpu-quota\", \"irq-load-balancing\", " +
                   "\"cpu-c-states\", \"cpu-freq-governor\"");
      ok = false;
      continue;
    }
    if (std::find(knobs.begin(), knobs.end(), *knob) == knobs.end()) {
      knobs.push_back(*knob);
    }
  }
  if (ok) {
    c.knobs = std::move(knobs);
  }
}

void read_min_housekeeping_cpus(const Item& item, Config& c) {
  // 0 would let a container take every CPU from the kernel and from kubelet.
  if (auto v = item.integer(1, CpuSet::kMaxCpus)) {
    c.min_housekeeping_cpus = static_cast<unsigned>(*v);
  }
}

void read_state_dir(const Item& item, Config& c) {
  if (auto v = item.absolute_path(/*allow_empty=*/false)) {
    c.state_dir = std::move(*v);
  }
}

void read_lock_timeout_ms(const Item& item, Config& c) {
  // The caller (containerd, CRI-O) has its own deadline; an hour is beyond
  // any of them.
  if (auto v = item.integer(0, 3'600'000)) {
    c.lock_timeout = std::chrono::milliseconds(*v);
  }
}

void read_host_root(const Item& item, Config& c) {
  if (auto v = item.absolute_path(/*allow_empty=*/false)) {
    c.host_root = std::move(*v);
  }
}

void read_v1_manage_root_flag(const Item& item, Config& c) {
  const auto* b = item.node.as_boolean();
  if (b == nullptr) {
    item.wrong_type("a boolean (true or false, unquoted)");
    return;
  }
  c.v1_manage_root_flag = b->get();
}

struct KeyReader {
  std::string_view key;
  void (*read)(const Item&, Config&);
};

constexpr std::array<KeyReader, 16> kKeys = {{
    {"runtime", read_runtime},
    {"log_file", read_log_file},
    {"log_level", read_log_level},
    {"log_max_bytes", read_log_max_bytes},
    {"log_max_files", read_log_max_files},
    {"log_target", read_log_target},
    {"mode", read_mode},
    {"on_failure", read_on_failure},
    {"allowed_namespaces", read_allowed_namespaces},
    {"isolatable_cpus", read_isolatable_cpus},
    {"knobs", read_knobs},
    {"min_housekeeping_cpus", read_min_housekeeping_cpus},
    {"state_dir", read_state_dir},
    {"lock_timeout_ms", read_lock_timeout_ms},
    {"host_root", read_host_root},
    {"v1_manage_root_flag", read_v1_manage_root_flag},
}};

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(std::string_view key) {
  std::string msg = "unknown key '" + std::string(key) + "'; known keys: ";
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    msg += i == 0 ? "" : ", ";
    msg += kKeys[i].key;
  }
  std::string_view best;
  std::size_t best_distance = 3;  // suggest only near misses
  for (const auto& k : kKeys) {
    if (const auto d = edit_distance(key, k.key); d < best_distance) {
      best = k.key;
      best_distance = d;
    }
  }
  if (!best.empty()) {
    msg += "; did you mean '" + std::string(best) + "'?";
  }
  return msg;
}

// A file with a problem is not applied, except where it says where things
// are: a typo in `mode` must not send us to another runc, another ledger
// (whose isolations could then never be released) or another log.
Config salvage_locations(const Config& parsed, const std::vector<std::string_view>& clean_keys) {
  Config out;
  auto clean = [&](std::string_view key) {
    return std::find(clean_keys.begin(), clean_keys.end(), key) != clean_keys.end();
  };
  if (clean("runtime")) out.runtime = parsed.runtime;
  if (clean("state_dir")) out.state_dir = parsed.state_dir;
  if (clean("host_root")) out.host_root = parsed.host_root;
  if (clean("log_file")) out.log_file = parsed.log_file;
  if (clean("log_level")) out.log_level = parsed.log_level;
  if (clean("log_max_bytes")) out.log_max_bytes = parsed.log_max_bytes;
  if (clean("log_max_files")) out.log_max_files = parsed.log_max_files;
  if (clean("log_target")) out.log_to_journal = parsed.log_to_journal;
  if (clean("lock_timeout_ms")) out.lock_timeout = parsed.lock_timeout;
  if (clean("v1_manage_root_flag")) out.v1_manage_root_flag = parsed.v1_manage_root_flag;
  return out;
}

// A file that is not TOML: the runtime the pass-through path reads without
// a parser is kept, so that both paths exec the same runc.
ConfigLoad syntax_error(ConfigLoad load, std::string_view toml_text, std::string problem) {
  load.problems.push_back(std::move(problem));
  if (auto key = scan_runtime_key(toml_text); key.kind == RuntimeKey::Kind::kFound) {
    load.config.runtime = std::move(key.path);
  }
  return load;
}

// The file's syntax problem, if toml++ cannot (or must not) read it.
std::optional<std::string> toml_syntax_problem(std::string_view toml_text,
                                               const std::filesystem::path& origin, toml::table& table) {
  if (const auto trap = toml_plus_plus_trap(toml_text)) {
    return origin.string() + ":" + std::to_string(trap->line) + ":" + std::to_string(trap->column) + ": " +
           toml_trap_advice(*trap);
  }
  try {
    table = toml::parse(toml_text, origin.string());
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return origin.string() + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) +
           ": TOML syntax error: " + std::string(e.description());
  }
  return std::nullopt;
}

// Reads every key in file order (toml::table iterates in key order), so
// problems come out in the order an operator reads the file.  Returns the
// keys that read without a problem.
std::vector<std::string_view> read_keys(const toml::table& table, const std::filesystem::path& origin,
                                        Config& config, std::vector<std::string>& problem_list) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  entries.reserve(table.size());
  for (const auto& [key, node] : table) {
    entries.emplace_back(&key, &node);
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.first->source().begin.line < b.first->source().begin.line;
  });
  Problems problems(origin, problem_list);
  std::vector<std::string_view> clean_keys;
  for (const auto& [key_ptr, node_ptr] : entries) {
    const toml::key& key = *key_ptr;
    const auto it = std::find_if(kKeys.begin(), kKeys.end(),
                                 [&key = key](const KeyReader& k) { return k.key == key.str(); });
    if (it == kKeys.end()) {
      problems.add_raw(origin.string() + ":" + std::to_string(key.source().begin.line) + ": " +
                       unknown_key_message(key.str()));
      continue;
    }
    const auto before = problem_list.size();
    it->read(Item{it->key, *node_ptr, problems}, config);
    if (problem_list.size() == before) {
      clean_keys.push_back(it->key);
    }
  }
  return clean_keys;
}

}  // namespace

ConfigLoad parse_config(std::string_view toml_text, const std::filesystem::path& origin) {
  ConfigLoad load;
  load.path = origin;
  load.found = true;
  toml::table table;
  if (auto problem = toml_syntax_problem(toml_text, origin, table)) {
    return syntax_error(std::move(load), toml_text, std::move(*problem));
  }
  Config config;
  const auto clean_keys = read_keys(table, origin, config, load.problems);
  if (load.problems.empty()) {
    load.config = std::move(config);
  } else {
    load.config = salvage_locations(config, clean_keys);
  }
  return load;
}

Config effective_config(const ConfigLoad& loaded) {
  Config config = loaded.config;
  if (!loaded.problems.empty()) {
    config.mode = Mode::kNever;
  }
  return config;
}

std::filesystem::path config_path_from_env() {
  // kConfigEnv views a string literal, so data() is NUL-terminated.
  const char* env = std::getenv(kConfigEnv.data());
  if (env != nullptr && *env != '\0') {
    return env;
  }
  return std::filesystem::path(kDefaultConfigPath);
}

ConfigLoad load_config(const std::filesystem::path& path) {
  auto read = read_file_text(path);
  if (read.error == ENOENT) {
    ConfigLoad load;
    load.path = path;
    return load;
  }
  if (read.error != 0) {
    ConfigLoad load;
    load.path = path;
    load.found = true;
    load.problems.push_back(
        path.string() + ": cannot read the config file: " + std::generic_category().message(read.error) +
        "; fix its permissions or type (it must be a readable regular file), or remove it to "
        "use the defaults");
    return load;
  }
  return parse_config(read.text, path);
}

}  // namespace isolcpus
