#include "isolcpus/ledger.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "isolcpus/atomic_replace.hpp"
#include "isolcpus/text.hpp"

namespace isolcpus {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kLedgerFile = "ledger.json";
constexpr std::string_view kLockFile = "lock";

std::string errno_text() { return std::strerror(errno); }

// The ledger decides which CPUs the kernel isolates: anyone able to write it
// could steer that, so the directory must be root's alone.
Expected<void> ensure_private_dir(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return make_error("cannot inspect state_dir " + dir.string() + ": " + errno_text());
    }
    std::error_code ec;
    fs::create_directories(dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return make_error("cannot create state_dir " + dir.string() + ": " + errno_text() +
                        "; create it (root-owned, mode 0700) or set state_dir in the config");
    }
    if (::lstat(dir.c_str(), &st) != 0) {
      return make_error("cannot inspect state_dir " + dir.string() + ": " + errno_text());
    }
  }
  if (!S_ISDIR(st.st_mode)) {
    return make_error("state_dir " + dir.string() +
                      " is not a directory (a symlink or file is refused); remove it");
  }
  if (st.st_uid != 0 || (st.st_mode & 077) != 0) {
    char mode[8];
    (void)std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return make_error("state_dir " + dir.string() + " must be owned by root with mode 0700 (it is uid " +
                      std::to_string(st.st_uid) + ", mode " + mode +
                      "); fix with `chown root: " + dir.string() + " && chmod 0700 " + dir.string() + "`");
  }
  return {};
}

Expected<UniqueFd> take_lock(const fs::path& dir, std::chrono::milliseconds timeout) {
  const auto path = dir / kLockFile;
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    return make_error("cannot open lock " + path.string() + ": " + errno_text());
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return make_error("cannot lock " + path.string() + ": " + errno_text());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error("timed out after " + std::to_string(timeout.count()) +
                        " ms waiting for the ledger lock " + path.string() +
                        "; another runc-isolcpus holds it (see `fuser " + path.string() +
                        "`) or raise lock_timeout_ms");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return fd;
}

Expected<LedgerData> load(const fs::path& dir) {
  const auto path = dir / kLedgerFile;
  // Only root can plant anything in state_dir, but a FIFO there would hold
  // the read, and with it the node lock, forever.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return make_error(path.string() +
                      ": not a regular file; move it aside and run `runc-isolcpus-ctl reconcile`");
  }
  const FileText file = read_file_text(path, /*no_follow=*/true);
  if (file.error == ENOENT) {
    return LedgerData{};
  }
  if (file.error != 0) {
    return make_error("cannot read " + path.string() + ": " + std::strerror(file.error));
  }
  return parse_ledger(file.text, path.string());
}

}  // namespace

Ledger::Ledger(fs::path dir, UniqueFd lock, LedgerData data)
    : dir_(std::move(dir)), lock_(std::move(lock)), data_(std::move(data)) {}

Ledger::Ledger(Ledger&& other) noexcept
    : dir_(std::move(other.dir_)),
      lock_(std::move(other.lock_)),
      data_(std::move(other.data_)),
      locked_at_(other.locked_at_),
      waited_(other.waited_),
      trace_label_(std::move(other.trace_label_)) {}

Ledger::~Ledger() {
  if (!lock_) {
    return;
  }
  const auto held =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - locked_at_);
  // Explicit unlock: a child forked while we held the lock shares the open
  // file description, and closing our copy alone would leave it locked.
  (void)::flock(lock_.get(), LOCK_UN);
  const char* trace = std::getenv("RUNC_ISOLCPUS_LOCK_TRACE");  // NOLINT(concurrency-mt-unsafe)
  if (trace == nullptr || *trace == '\0') {
    return;
  }
  const std::string line = "pid=" + std::to_string(::getpid()) + " held_us=" + std::to_string(held.count()) +
                           " waited_us=" + std::to_string(waited_.count()) +
                           " call=" + (trace_label_.empty() ? std::string("-") : trace_label_) + "\n";
  UniqueFd fd(::open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd) {
    (void)!::write(fd.get(), line.data(), line.size());
  }
}

Expected<Ledger> Ledger::open(const fs::path& state_dir, std::chrono::milliseconds timeout) {
  if (auto ok = ensure_private_dir(state_dir); !ok) {
    return ok.error();
  }
  const auto asked = std::chrono::steady_clock::now();
  auto lock = take_lock(state_dir, timeout);
  if (!lock) {
    return lock.error();
  }
  const auto locked = std::chrono::steady_clock::now();
  auto data = load(state_dir);
  if (!data) {
    (void)::flock(lock->get(), LOCK_UN);
    return data.error();
  }
  Ledger ledger(state_dir, std::move(*lock), std::move(*data));
  ledger.locked_at_ = locked;
  ledger.waited_ = std::chrono::duration_cast<std::chrono::microseconds>(locked - asked);
  return ledger;
}

// Write to a temp file, fsync, rename over the old one, fsync the directory:
// after a crash the ledger is the old document or the new one, never a mix.
Expected<void> Ledger::commit() {
  const auto final_path = dir_ / kLedgerFile;
  const auto temp_path = dir_ / (std::string(kLedgerFile) + ".tmp");
  const std::string text = serialize_ledger(data_);
  UniqueFd fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    return make_error("cannot write " + temp_path.string() + ": " + errno_text());
  }
  // The directory's fsync is best effort: the rename is done either way.
  return replace_with_temp(fd.get(), temp_path, final_path, text, /*dir_sync_required=*/false);
}

LedgerEntry* Ledger::find(std::string_view root, std::string_view id) {
  for (auto& e : data_.entries) {
    if (e.same_container(root, id)) {
      return &e;
    }
  }
  return nullptr;
}

Expected<LedgerData> read_ledger_snapshot(const fs::path& state_dir) { return load(state_dir); }

}  // namespace isolcpus
