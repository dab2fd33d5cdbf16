#include "systemd_restart.hpp"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

namespace isolcpus {
namespace {

constexpr const char* kSystemd = "org.freedesktop.systemd1";

struct BusClose {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
struct MessageUnref {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
struct ErrorFree {
  void operator()(sd_bus_error* e) const { sd_bus_error_free(e); }
};
using Bus = std::unique_ptr<sd_bus, BusClose>;

std::string why(int r, const sd_bus_error& error) {
  return error.message != nullptr ? std::string(error.message) : std::string(std::strerror(-r));
}

// The property of a systemd object; nullopt when the object is gone.
Expected<std::optional<std::string>> property(sd_bus* bus, const std::string& path, const char* interface,
                                              const char* name) {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C compound literal
  const std::unique_ptr<sd_bus_error, ErrorFree> free_error(&error);
  char* value = nullptr;
  const int r = sd_bus_get_property_string(bus, kSystemd, path.c_str(), interface, name, &error, &value);
  if (r < 0) {
    if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
        sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD)) {
      return std::optional<std::string>();
    }
    return make_error("reading " + std::string(name) + " of " + path + ": " + why(r, error));
  }
  const std::unique_ptr<char, decltype(&std::free)> owned(value, &std::free);
  return std::optional<std::string>(value);
}

Expected<std::string> call_with_path(sd_bus* bus, const char* method, const std::string& unit, bool replace) {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C compound literal
  const std::unique_ptr<sd_bus_error, ErrorFree> free_error(&error);
  sd_bus_message* raw = nullptr;
  const int r =
      replace
          ? sd_bus_call_method(bus, kSystemd, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                               method, &error, &raw, "ss", unit.c_str(), "replace")
          : sd_bus_call_method(bus, kSystemd, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                               method, &error, &raw, "s", unit.c_str());
  const std::unique_ptr<sd_bus_message, MessageUnref> reply(raw);
  if (r < 0) {
    return make_error(std::string(method) + " " + unit + ": " + why(r, error));
  }
  const char* path = nullptr;
  if (const int rr = sd_bus_message_read(reply.get(), "o", &path); rr < 0) {
    return make_error(std::string(method) + " " + unit + ": unexpected reply: " + std::strerror(-rr));
  }
  return std::string(path);
}

}  // namespace

Expected<void> restart_unit(const std::string& unit, std::chrono::seconds timeout) {
  sd_bus* raw = nullptr;
  if (const int r = sd_bus_open_system(&raw); r < 0) {
    return make_error("cannot reach systemd on the system bus: " + std::string(std::strerror(-r)) +
                      "; restart " + unit + " yourself");
  }
  const Bus bus(raw);
  auto job = call_with_path(bus.get(), "RestartUnit", unit, true);
  if (!job) {
    return job.error();
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto state = property(bus.get(), *job, "org.freedesktop.systemd1.Job", "State");
    if (!state) {
      return state.error();
    }
    if (!*state) {
      break;  // the job is done
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return make_error("restarting " + unit + " did not finish within " + std::to_string(timeout.count()) +
                        " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto unit_path = call_with_path(bus.get(), "GetUnit", unit, false);
  auto active = unit_path ? property(bus.get(), *unit_path, "org.freedesktop.systemd1.Unit", "ActiveState")
                          : Expected<std::optional<std::string>>(unit_path.error());
  if (!active) {
    return active.error();
  }
  if (active->value_or("") != "active") {
    return make_error(unit + " is " + active->value_or("gone") + " after its restart: see journalctl -u " +
                      unit);
  }
  return {};
}

}  // namespace isolcpus
