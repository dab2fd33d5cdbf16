#include "journal_sink.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

namespace isolcpus {

std::string journal_datagram(const JournalFields& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    out += key;
    if (value.find('\n') == std::string::npos) {
      out += '=';
    } else {
      out += '\n';
      std::uint64_t size = value.size();
      for (int i = 0; i < 8; ++i) {
        out += static_cast<char>(size & 0xffU);
        size >>= 8U;
      }
    }
    out += value;
    out += '\n';
  }
  return out;
}

int journal_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    case spdlog::level::critical:
      return 2;
    default:
      return 6;
  }
}

JournalSink::JournalSink(std::string socket_path, JournalFields fixed,
                         std::shared_ptr<const JournalFields> later)
    : socket_path_(std::move(socket_path)),
      fixed_(std::move(fixed)),
      later_(std::move(later)),
      fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  sockaddr_un addr{};
  if (!fd_ || socket_path_.size() >= sizeof addr.sun_path) {
    return;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
  // A datagram larger than the socket takes is lost whole (libsystemd
  // would pass a memfd instead): keep the line, cut, and say so.
  constexpr std::size_t kMaxMessage = std::size_t{64} * 1024;
  std::string message(msg.payload.data(), std::min(msg.payload.size(), kMaxMessage));
  if (msg.payload.size() > kMaxMessage) {
    message += " [cut at 64 KiB of " + std::to_string(msg.payload.size()) + " bytes]";
  }
  JournalFields fields{{"MESSAGE", std::move(message)},
                       {"PRIORITY", std::to_string(journal_priority(msg.level))}};
  fields.insert(fields.end(), fixed_.begin(), fixed_.end());
  if (later_) {
    fields.insert(fields.end(), later_->begin(), later_->end());
  }
  const std::string datagram = journal_datagram(fields);
  // MSG_DONTWAIT: a journal that cannot keep up must not hold up runc.
  (void)::sendto(fd_.get(), datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&addr),
                 sizeof addr);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

}  // namespace isolcpus
