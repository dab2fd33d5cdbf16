// Reads the handful of config.json fields the policy needs.  Every error names
// the file and the field so an operator can find the bad bytes without
// knowing the OCI schema by heart.
#include "isolcpus/container_spec.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

#include "isolcpus/read_to_end.hpp"
#include "isolcpus/unique_fd.hpp"

namespace isolcpus {
namespace {

using nlohmann::json;

// Where we are in the document, for messages: "linux.resources.cpu.cpus".
std::string join(std::string_view parent, std::string_view key) {
  if (parent.empty()) {
    return std::string(key);
  }
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

Error type_error(std::string_view origin, std::string_view where, std::string_view expected,
                 const json& got) {
  return make_error(std::string(origin) + ": " + std::string(where) + ": expected " + std::string(expected) +
                    ", got " + got.type_name());
}

// A missing or null member is "not set"; anything else must be an object.
Expected<const json*> optional_object(const json& parent, std::string_view key, std::string_view where,
                                      std::string_view origin) {
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) {
    return static_cast<const json*>(nullptr);
  }
  if (!it->is_object()) {
    return type_error(origin, where, "an object", *it);
  }
  return &*it;
}

// "" or blank means "no CPUs pinned", which the spec treats as absent.
Expected<std::optional<CpuSet>> optional_cpu_list(const json& parent, std::string_view key,
                                                  std::string_view where, std::string_view origin) {
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) {
    return std::optional<CpuSet>{};
  }
  if (!it->is_string()) {
    return type_error(origin, where, "a string", *it);
  }
  const auto& text = it->get_ref<const std::string&>();
  auto parsed = CpuSet::parse(text);
  if (!parsed) {
    return make_error(std::string(origin) + ": " + std::string(where) + ": " + parsed.error().message);
  }
  if (parsed->empty()) {
    return std::optional<CpuSet>{};
  }
  return std::optional<CpuSet>{std::move(*parsed)};
}

Expected<std::optional<std::uint64_t>> optional_unsigned(const json& parent, std::string_view key,
                                                         std::string_view where, std::string_view origin) {
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) {
    return std::optional<std::uint64_t>{};
  }
  if (it->is_number_unsigned()) {
    return std::optional<std::uint64_t>{it->get<std::uint64_t>()};
  }
  if (it->is_number_integer()) {  // signed and therefore negative
    return make_error(std::string(origin) + ": " + std::string(where) +
                      ": expected a non-negative integer, got " + it->dump());
  }
  return type_error(origin, where, "a non-negative integer", *it);
}

Expected<std::optional<std::int64_t>> optional_signed(const json& parent, std::string_view key,
                                                      std::string_view where, std::string_view origin) {
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) {
    return std::optional<std::int64_t>{};
  }
  if (it->is_number_unsigned()) {
    const auto value = it->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return make_error(std::string(origin) + ": " + std::string(where) + ": " + it->dump() +
                        " does not fit a signed 64-bit integer");
    }
    return std::optional<std::int64_t>{static_cast<std::int64_t>(value)};
  }
  if (it->is_number_integer()) {
    return std::optional<std::int64_t>{it->get<std::int64_t>()};
  }
  return type_error(origin, where, "an integer", *it);
}

// Every json::exception, not only parse_error: a number no double holds
// (1e999) is an out_of_range.  The "[json.exception.parse_error.101] "
// prefix means nothing to an operator.
Expected<json> parse_json(std::string_view text, std::string_view origin) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    std::string_view what = e.what();
    if (const auto close = what.find("] "); what.starts_with("[json.exception.") && close != what.npos) {
      what.remove_prefix(close + 2);
    }
    return make_error(std::string(origin) + ": invalid JSON: " + std::string(what));
  }
}

// Fills the cpu fields from linux.resources.cpu (`prefix`, for messages).
Expected<void> read_cpu_section(const json& cpu, std::string_view prefix, std::string_view origin,
                                ContainerSpec& out) {
  auto cpus = optional_cpu_list(cpu, "cpus", join(prefix, "cpus"), origin);
  if (!cpus) {
    return cpus.error();
  }
  out.cpus = std::move(*cpus);

  auto mems = optional_cpu_list(cpu, "mems", join(prefix, "mems"), origin);
  if (!mems) {
    return mems.error();
  }
  out.mems = std::move(*mems);

  auto shares = optional_unsigned(cpu, "shares", join(prefix, "shares"), origin);
  if (!shares) {
    return shares.error();
  }
  out.shares = *shares;

  auto quota = optional_signed(cpu, "quota", join(prefix, "quota"), origin);
  if (!quota) {
    return quota.error();
  }
  out.quota = *quota;

  auto period = optional_unsigned(cpu, "period", join(prefix, "period"), origin);
  if (!period) {
    return period.error();
  }
  out.period = *period;
  return {};
}

Expected<void> read_linux_section(const json& linux_section, std::string_view origin, ContainerSpec& out) {
  if (const auto it = linux_section.find("cgroupsPath"); it != linux_section.end() && !it->is_null()) {
    if (!it->is_string()) {
      return type_error(origin, "linux.cgroupsPath", "a string", *it);
    }
    out.cgroups_path = it->get<std::string>();
  }
  auto resources = optional_object(linux_section, "resources", "linux.resources", origin);
  if (!resources) {
    return resources.error();
  }
  if (*resources == nullptr) {
    return {};
  }
  auto cpu = optional_object(**resources, "cpu", "linux.resources.cpu", origin);
  if (!cpu) {
    return cpu.error();
  }
  if (*cpu == nullptr) {
    return {};
  }
  return read_cpu_section(**cpu, "linux.resources.cpu", origin, out);
}

Expected<void> read_annotations(const json& annotations, std::string_view origin, ContainerSpec& out) {
  for (const auto& [key, value] : annotations.items()) {
    if (key.size() > kMaxAnnotationBytes) {  // a message quoting it would be as long
      return make_error(std::string(origin) + ": annotations: a key of " + std::to_string(key.size()) +
                        " bytes, more than the " + std::to_string(kMaxAnnotationBytes) +
                        " runc-isolcpus reads; shorten it");
    }
    if (!value.is_string()) {
      return make_error(std::string(origin) + ": annotations[\"" + key + "\"]: expected a string, got " +
                        value.type_name() + " (OCI annotations are string to string)");
    }
    if (const auto size = value.get_ref<const std::string&>().size(); size > kMaxAnnotationBytes) {
      return make_error(std::string(origin) + ": annotations[\"" + key + "\"]: " + std::to_string(size) +
                        " bytes, more than the " + std::to_string(kMaxAnnotationBytes) +
                        " runc-isolcpus reads (Kubernetes allows 262144 for all of a pod's annotations "
                        "together); shorten it");
    }
    out.annotations.emplace(key, value.get<std::string>());
  }
  return {};
}

}  // namespace

Expected<ContainerSpec> parse_container_spec(std::string_view json_text, std::string_view origin) {
  auto doc = parse_json(json_text, origin);
  if (!doc) {
    return doc.error();
  }
  if (!doc->is_object()) {
    return type_error(origin, "(top level)", "an object", *doc);
  }

  ContainerSpec spec;
  auto linux_section = optional_object(*doc, "linux", "linux", origin);
  if (!linux_section) {
    return linux_section.error();
  }
  if (*linux_section != nullptr) {
    if (auto ok = read_linux_section(**linux_section, origin, spec); !ok) {
      return ok.error();
    }
  }

  auto annotations = optional_object(*doc, "annotations", "annotations", origin);
  if (!annotations) {
    return annotations.error();
  }
  if (*annotations != nullptr) {
    if (auto ok = read_annotations(**annotations, origin, spec); !ok) {
      return ok.error();
    }
  }
  return spec;
}

Expected<ContainerSpec> read_container_spec(const std::filesystem::path& bundle) {
  const auto path = bundle / "config.json";
  const auto fail = [&path](int err) {
    return make_error(path.string() + ": cannot read the container spec: " +
                      std::generic_category().message(err) + " (is the bundle path right?)");
  };
  // O_NONBLOCK and the regular-file check: a FIFO planted as config.json
  // must not hold the wrapper (and the node) forever.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    return fail(errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(path.string() + ": not a regular file; the container spec must be a plain JSON file");
  }
  if (st.st_size > static_cast<off_t>(kMaxSpecBytes)) {
    return make_error(path.string() + ": " + std::to_string(st.st_size) + " bytes, more than the " +
                      std::to_string(kMaxSpecBytes >> 20) + " MiB runc-isolcpus reads; not isolating");
  }
  auto read = read_to_end(fd.get(), kMaxSpecBytes);
  if (read.end == ReadToEnd::End::failed) {
    return fail(read.err);
  }
  if (read.end == ReadToEnd::End::too_large) {
    return make_error(path.string() + ": grew past " + std::to_string(kMaxSpecBytes >> 20) +
                      " MiB while being read; not isolating");
  }
  return parse_container_spec(read.bytes, path.string());
}

}  // namespace isolcpus
