#include "update_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "child_runtime.hpp"
#include "isolcpus/host_probe.hpp"
#include "isolcpus/read_to_end.hpp"
#include "isolcpus/unique_fd.hpp"
#include "isolcpus/update_resources.hpp"

namespace isolcpus {
namespace {

// What "N" and "all" mean to the kernel that will parse the cpus.
unsigned possible_cpus(const Call& call) {
  auto count = possible_cpu_count(call.config.host_root);
  if (!count) {
    call.log.warn(count.error().message + "; reading update CPU lists as if " +
                  std::to_string(CpuSet::kMaxCpus) + " CPUs were possible");
    return CpuSet::kMaxCpus;
  }
  return *count;
}

// A regular file, opened like runc opens it (relative to the caller's cwd),
// never blocking and never left to a child.
Expected<std::string> read_regular_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return make_error("cannot read " + path + ": " + (fd ? "not a regular file" : std::strerror(errno)));
  }
  auto read = read_to_end(fd.get(), kMaxUpdateBytes);
  if (read.end == ReadToEnd::End::failed) {
    return make_error("cannot read " + path + ": " + std::strerror(read.err));
  }
  if (read.end == ReadToEnd::End::too_large) {
    return make_error(path + " is larger than " + std::to_string(kMaxUpdateBytes) + " bytes");
  }
  return std::move(read.bytes);
}

bool names_our_stdin(const struct stat& st) {
  struct stat in {};
  return ::fstat(STDIN_FILENO, &in) == 0 && in.st_dev == st.st_dev && in.st_ino == st.st_ino;
}

// Our stdin to EOF, kept for runc; a failure part-way is a refusal, as runc
// can no longer get the document whole.
std::optional<std::string> take_stdin(CallInputs& in) {
  auto text = read_all_stdin(kMaxUpdateBytes);
  if (!text) {
    in.refusal = text.error().message;
    return std::nullopt;
  }
  in.stdin_bytes = *text;
  return *text;
}

void parse_document(const Call& call, const std::string& text, const std::string& origin, CallInputs& in) {
  auto cpus = parse_update_cpus(text, origin, possible_cpus(call));
  if (!cpus) {
    call.log.warn(cpus.error().message + " (runc update fails on it: nothing changes)");
    return;
  }
  in.new_cpus = *cpus;
}

std::optional<std::string> read_resources(const Call& call, const std::string& path, CallInputs& in) {
  if (path == "-") {
    if (auto text = take_stdin(in)) {
      parse_document(call, *text, "update resources on stdin", in);
    }
    return std::nullopt;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    call.log.warn("cannot read update resources " + path + ": " + std::strerror(errno) +
                  " (runc cannot open it either)");
    return std::nullopt;
  }
  if (S_ISREG(st.st_mode)) {
    // Also a regular file on stdin: runc's open gets a fresh offset too.
    auto text = read_regular_file(path);
    if (!text) {
      call.log.warn(text.error().message);
      return std::nullopt;
    }
    parse_document(call, *text, path, in);
    return std::nullopt;
  }
  if (S_ISSOCK(st.st_mode)) {
    return std::nullopt;  // a socket cannot be opened by path: runc fails
  }
  if (names_our_stdin(st)) {
    // /dev/stdin, /proc/self/fd/0 on a pipe or terminal: reading drains it.
    if (auto text = take_stdin(in)) {
      parse_document(call, *text, path + " (this call's stdin)", in);
    }
    return std::nullopt;
  }
  return "cannot read the update resources from " + path +
         " without taking them from runc: it is neither a regular file nor this call's stdin";
}

}  // namespace

std::optional<std::string> read_update_input(const Call& call, CallInputs& in) {
  const auto& req = call.inv.update;
  // runc: `if in := cmd.String("resources"); in != ""`, and only otherwise
  // the flags.
  if (req.resources && !req.resources->empty()) {
    return read_resources(call, *req.resources, in);
  }
  if (req.cpuset_cpus && !req.cpuset_cpus->empty()) {
    auto cpus = parse_update_cpus_flag(*req.cpuset_cpus, possible_cpus(call));
    if (!cpus) {
      call.log.warn("--cpuset-cpus: " + cpus.error().message + " (runc update fails on it: nothing changes)");
      return std::nullopt;
    }
    in.new_cpus = *cpus;
  }
  return std::nullopt;
}

}  // namespace isolcpus
