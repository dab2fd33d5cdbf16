#include "systemd_restart.hpp"

#include <dlfcn.h>
#include <systemd/sd-bus.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

namespace isolcpus {
namespace {

constexpr const char* kSystemd = "org.freedesktop.systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

// libsystemd is loaded only when a restart is asked for: every other ctl
// command (the OCI hook on every container among them) starts without it,
// and a node without it can still run them.
struct SdBus {
  void* lib = nullptr;
  decltype(&sd_bus_open_system) open_system = nullptr;
  decltype(&sd_bus_flush_close_unref) close = nullptr;
  decltype(&sd_bus_call_method) call_method = nullptr;
  decltype(&sd_bus_get_property_string) get_string = nullptr;
  decltype(&sd_bus_get_property_trivial) get_trivial = nullptr;
  decltype(&sd_bus_message_read) message_read = nullptr;
  decltype(&sd_bus_message_unref) message_unref = nullptr;
  decltype(&sd_bus_error_free) error_free = nullptr;
  decltype(&sd_bus_error_has_name) error_has_name = nullptr;

  SdBus() = default;
  SdBus(const SdBus&) = delete;
  SdBus& operator=(const SdBus&) = delete;
  ~SdBus() {
    if (lib != nullptr) {
      ::dlclose(lib);
    }
  }
};

template <typename F>
bool bind(void* lib, const char* name, F& out) {
  out = reinterpret_cast<F>(::dlsym(lib, name));  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  return out != nullptr;
}

Expected<std::unique_ptr<SdBus>> load_sd_bus() {
  auto sd = std::make_unique<SdBus>();
  sd->lib = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (sd->lib == nullptr) {
    return make_error(std::string("cannot load libsystemd.so.0 (") + ::dlerror() + ")");
  }
  void* l = sd->lib;
  if (!bind(l, "sd_bus_open_system", sd->open_system) || !bind(l, "sd_bus_flush_close_unref", sd->close) ||
      !bind(l, "sd_bus_call_method", sd->call_method) ||
      !bind(l, "sd_bus_get_property_string", sd->get_string) ||
      !bind(l, "sd_bus_get_property_trivial", sd->get_trivial) ||
      !bind(l, "sd_bus_message_read", sd->message_read) ||
      !bind(l, "sd_bus_message_unref", sd->message_unref) || !bind(l, "sd_bus_error_free", sd->error_free) ||
      !bind(l, "sd_bus_error_has_name", sd->error_has_name)) {
    return make_error("libsystemd.so.0 lacks an sd-bus call this needs");
  }
  return sd;
}

// The bus and the library it came from, closed in that order.
struct Bus {
  std::unique_ptr<SdBus> sd;
  sd_bus* bus = nullptr;
  Bus() = default;
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;
  Bus(Bus&& other) noexcept : sd(std::move(other.sd)), bus(std::exchange(other.bus, nullptr)) {}
  ~Bus() {
    if (bus != nullptr) {
      sd->close(bus);
    }
  }
};

Expected<Bus> open_bus(const std::string& unit) {
  auto sd = load_sd_bus();
  if (!sd) {
    return make_error(sd.error().message + "; restart " + unit + " yourself");
  }
  Bus b;
  b.sd = std::move(*sd);
  if (const int r = b.sd->open_system(&b.bus); r < 0) {
    return make_error("cannot reach systemd on the system bus: " + std::string(std::strerror(-r)) +
                      "; restart " + unit + " yourself");
  }
  return b;
}

struct BusError {
  sd_bus_error e{};  // SD_BUS_ERROR_NULL, without its C compound literal
  const SdBus* sd;
  explicit BusError(const SdBus* s) : sd(s) {}
  BusError(const BusError&) = delete;
  BusError& operator=(const BusError&) = delete;
  ~BusError() { sd->error_free(&e); }
  [[nodiscard]] std::string why(int r) const {
    return e.message != nullptr ? std::string(e.message) : std::string(std::strerror(-r));
  }
  [[nodiscard]] bool gone() const {
    return sd->error_has_name(&e, SD_BUS_ERROR_UNKNOWN_OBJECT) != 0 ||
           sd->error_has_name(&e, SD_BUS_ERROR_UNKNOWN_METHOD) != 0 ||
           sd->error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit") != 0;
  }
};

// The object path a Manager method returns; nullopt when there is no such
// unit.  `job_mode` ("replace") for the methods that start a job, else null.
Expected<std::optional<std::string>> object_of(const Bus& b, const char* method, const std::string& unit,
                                               const char* job_mode = nullptr) {
  BusError error(b.sd.get());
  sd_bus_message* raw = nullptr;
  const int r = job_mode != nullptr
                    ? b.sd->call_method(b.bus, kSystemd, "/org/freedesktop/systemd1", kManager, method,
                                        &error.e, &raw, "ss", unit.c_str(), job_mode)
                    : b.sd->call_method(b.bus, kSystemd, "/org/freedesktop/systemd1", kManager, method,
                                        &error.e, &raw, "s", unit.c_str());
  const std::unique_ptr<sd_bus_message, decltype(b.sd->message_unref)> reply(raw, b.sd->message_unref);
  if (r < 0) {
    if (error.gone()) {
      return std::optional<std::string>();
    }
    return make_error(std::string(method) + " " + unit + ": " + error.why(r));
  }
  const char* path = nullptr;
  if (const int rr = b.sd->message_read(reply.get(), "o", &path); rr < 0) {
    return make_error(std::string(method) + " " + unit + ": unexpected reply: " + std::strerror(-rr));
  }
  return std::optional<std::string>(path);
}

// A string property; nullopt when the object is gone.
Expected<std::optional<std::string>> string_property(const Bus& b, const std::string& path,
                                                     const char* interface, const char* name) {
  BusError error(b.sd.get());
  char* value = nullptr;
  if (const int r = b.sd->get_string(b.bus, kSystemd, path.c_str(), interface, name, &error.e, &value);
      r < 0) {
    if (error.gone()) {
      return std::optional<std::string>();
    }
    return make_error("reading " + std::string(name) + " of " + path + ": " + error.why(r));
  }
  const std::unique_ptr<char, decltype(&std::free)> owned(value, &std::free);
  return std::optional<std::string>(value);
}

Expected<void> wait_for_job(const Bus& b, const std::string& job, const std::string& unit,
                            std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto state = string_property(b, job, "org.freedesktop.systemd1.Job", "State");
    if (!state) {
      return state.error();
    }
    if (!*state) {
      return {};  // the job is done
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return make_error("restarting " + unit + " did not finish within " + std::to_string(timeout.count()) +
                        " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// A fixed-size property ('t' or 'u') into `out`.
template <typename T>
Expected<void> trivial_property(const Bus& b, const std::string& path, const char* interface,
                                const char* name, char type, T& out) {
  BusError error(b.sd.get());
  if (const int r = b.sd->get_trivial(b.bus, kSystemd, path.c_str(), interface, name, &error.e, type, &out);
      r < 0) {
    return make_error("reading " + std::string(name) + " of " + path + ": " + error.why(r));
  }
  return {};
}

}  // namespace

Expected<void> restart_unit(const std::string& unit, std::chrono::seconds timeout) {
  auto b = open_bus(unit);
  if (!b) {
    return b.error();
  }
  auto job = object_of(*b, "RestartUnit", unit, "replace");
  if (!job || !*job) {
    return job ? make_error("RestartUnit " + unit + ": no such unit") : Expected<void>(job.error());
  }
  if (auto done = wait_for_job(*b, **job, unit, timeout); !done) {
    return done;
  }
  auto unit_path = object_of(*b, "GetUnit", unit);
  auto active = unit_path && *unit_path
                    ? string_property(*b, **unit_path, "org.freedesktop.systemd1.Unit", "ActiveState")
                    : Expected<std::optional<std::string>>(std::optional<std::string>());
  if (!unit_path || !active) {
    return make_error(!unit_path ? unit_path.error().message : active.error().message);
  }
  if (active->value_or("") != "active") {
    return make_error(unit + " is " + active->value_or("gone") + " after its restart: see journalctl -u " +
                      unit);
  }
  return {};
}

Expected<std::optional<ServiceFacts>> service_facts(const std::string& unit) {
  auto b = open_bus(unit);
  if (!b) {
    return b.error();
  }
  auto path = object_of(*b, "GetUnit", unit);
  if (!path || !*path) {
    return path ? Expected<std::optional<ServiceFacts>>(std::nullopt)
                : Expected<std::optional<ServiceFacts>>(path.error());
  }
  auto active = string_property(*b, **path, "org.freedesktop.systemd1.Unit", "ActiveState");
  if (!active) {
    return active.error();
  }
  ServiceFacts facts;
  facts.active = active->value_or("") == "active";
  if (!facts.active) {
    return std::optional<ServiceFacts>(facts);  // nothing runs: the rest would only add ways to fail
  }
  constexpr const char* kUnit = "org.freedesktop.systemd1.Unit";
  for (const auto& ok :
       {trivial_property(*b, **path, kUnit, "ActiveEnterTimestampMonotonic", 't', facts.active_enter_usec),
        trivial_property(*b, **path, kUnit, "ActiveEnterTimestamp", 't', facts.active_enter_realtime_usec),
        trivial_property(*b, **path, kUnit, "StartLimitIntervalUSec", 't', facts.start_limit_interval_usec),
        trivial_property(*b, **path, kUnit, "StartLimitBurst", 'u', facts.start_limit_burst),
        trivial_property(*b, **path, "org.freedesktop.systemd1.Service", "MainPID", 'u', facts.main_pid)}) {
    if (!ok) {
      return ok.error();
    }
  }
  return std::optional<ServiceFacts>(facts);
}

bool started_before(const std::optional<ServiceFacts>& facts, std::int64_t realtime_usec) {
  // Not loaded or not running: nothing runs an old config.
  return facts && facts->active &&
         static_cast<std::int64_t>(facts->active_enter_realtime_usec) < realtime_usec;
}

Expected<bool> unit_started_before(const std::string& unit, std::int64_t realtime_usec) {
  auto facts = service_facts(unit);
  if (!facts) {
    return facts.error();
  }
  return started_before(*facts, realtime_usec);
}

}  // namespace isolcpus
