/* fake_runtime: a stand-in for runc that writes down exactly how it was
 * started, so the pass-through tests can prove the wrapper changed nothing.
 *
 * Record: a text file, one item per line, every variable-length value in
 * lowercase hex so that arbitrary bytes (NUL-free argv/env with invalid UTF-8,
 * newlines, empty strings) survive the round trip:
 *
 *   argv <hex>            one line per argv element, in order (argv[0] too)
 *   env <hex>             one line per environ entry, in order
 *   cwd <hex>
 *   pid <n>
 *   ppid <n>
 *   stdin <hex>           only when FAKE_RUNTIME_READ_STDIN=1 (all bytes to EOF)
 *   fd <n> <hex target>   every open fd (readlink of /proc/self/fd/<n>)
 *   sigmask <n>           one line per blocked signal
 *   disp <name> <dfl|ign|handler>
 *   end
 *
 * Record path: $FAKE_RUNTIME_RECORD, or, when the environment does not carry
 * it (tests that start the wrapper with an empty environment),
 * "<directory of /proc/self/exe>/fake_runtime.record".
 *
 * Then: FAKE_RUNTIME_STDOUT / FAKE_RUNTIME_STDERR are written verbatim, and the
 * process dies by FAKE_RUNTIME_SIGNAL (a number) or exits FAKE_RUNTIME_EXIT
 * (default 0).
 *
 * Everything is observed before the record file is opened, so the fd list
 * shows only what the fake inherited.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

extern char** environ;

/* A growable byte buffer; the whole record is built in memory first. */
struct buf {
  char* data;
  size_t len;
  size_t cap;
};

static void die(const char* what) {
  int saved = errno;
  fprintf(stderr, "fake_runtime: %s: %s\n", what, strerror(saved));
  exit(250);
}

static void buf_reserve(struct buf* b, size_t extra) {
  if (b->len + extra <= b->cap) {
    return;
  }
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) {
    cap *= 2;
  }
  char* grown = realloc(b->data, cap);
  if (!grown) {
    die("realloc");
  }
  b->data = grown;
  b->cap = cap;
}

static void buf_add(struct buf* b, const void* data, size_t len) {
  buf_reserve(b, len);
  memcpy(b->data + b->len, data, len);
  b->len += len;
}

static void buf_str(struct buf* b, const char* s) { buf_add(b, s, strlen(s)); }

static void buf_hex(struct buf* b, const void* data, size_t len) {
  static const char digits[] = "0123456789abcdef";
  const unsigned char* p = data;
  buf_reserve(b, 2 * len);
  for (size_t i = 0; i < len; ++i) {
    b->data[b->len++] = digits[p[i] >> 4];
    b->data[b->len++] = digits[p[i] & 15];
  }
}

static void buf_fmt_long(struct buf* b, long v) {
  char tmp[32];
  snprintf(tmp, sizeof tmp, "%ld", v);
  buf_str(b, tmp);
}

static void record_hex_line(struct buf* b, const char* key, const void* data, size_t len) {
  buf_str(b, key);
  buf_str(b, " ");
  buf_hex(b, data, len);
  buf_str(b, "\n");
}

static void record_fds(struct buf* b) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) {
    die("opendir /proc/self/fd");
  }
  int own = dirfd(dir);
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] == '.') {
      continue;
    }
    int fd = atoi(e->d_name);
    if (fd == own) {
      continue;
    }
    char link[64];
    char target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target);
    if (n < 0) {
      n = 0;
    }
    buf_str(b, "fd ");
    buf_fmt_long(b, fd);
    buf_str(b, " ");
    buf_hex(b, target, (size_t)n);
    buf_str(b, "\n");
  }
  closedir(dir);
}

static void record_signals(struct buf* b) {
  sigset_t mask;
  if (sigprocmask(SIG_BLOCK, NULL, &mask) != 0) {
    die("sigprocmask");
  }
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&mask, sig) == 1) {
      buf_str(b, "sigmask ");
      buf_fmt_long(b, sig);
      buf_str(b, "\n");
    }
  }
  static const struct {
    int sig;
    const char* name;
  } watched[] = {{SIGPIPE, "SIGPIPE"}, {SIGINT, "SIGINT"}, {SIGTERM, "SIGTERM"},
                 {SIGCHLD, "SIGCHLD"}, {SIGHUP, "SIGHUP"}, {SIGQUIT, "SIGQUIT"}};
  for (size_t i = 0; i < sizeof watched / sizeof watched[0]; ++i) {
    struct sigaction sa;
    if (sigaction(watched[i].sig, NULL, &sa) != 0) {
      die("sigaction");
    }
    const char* disp = sa.sa_handler == SIG_DFL ? "dfl" : sa.sa_handler == SIG_IGN ? "ign" : "handler";
    buf_str(b, "disp ");
    buf_str(b, watched[i].name);
    buf_str(b, " ");
    buf_str(b, disp);
    buf_str(b, "\n");
  }
}

static void record_stdin(struct buf* b) {
  struct buf in = {0};
  char chunk[65536];
  for (;;) {
    ssize_t n = read(0, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      die("read stdin");
    }
    if (n == 0) {
      break;
    }
    buf_add(&in, chunk, (size_t)n);
  }
  record_hex_line(b, "stdin", in.data ? in.data : "", in.len);
  free(in.data);
}

static void write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      die("write");
    }
    data += n;
    len -= (size_t)n;
  }
}

static char* default_record_path(void) {
  static char path[PATH_MAX + 32];
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0) {
    die("readlink /proc/self/exe");
  }
  exe[n] = '\0';
  char* slash = strrchr(exe, '/');
  if (slash) {
    *slash = '\0';
  }
  snprintf(path, sizeof path, "%s/fake_runtime.record", exe);
  return path;
}

int main(int argc, char** argv) {
  /* Read the knobs before anything else; getenv does not allocate or open. */
  const char* record_path = getenv("FAKE_RUNTIME_RECORD");
  const char* read_stdin = getenv("FAKE_RUNTIME_READ_STDIN");
  const char* out_text = getenv("FAKE_RUNTIME_STDOUT");
  const char* err_text = getenv("FAKE_RUNTIME_STDERR");
  const char* exit_text = getenv("FAKE_RUNTIME_EXIT");
  const char* signal_text = getenv("FAKE_RUNTIME_SIGNAL");

  struct buf b = {0};
  for (int i = 0; i < argc; ++i) {
    record_hex_line(&b, "argv", argv[i], strlen(argv[i]));
  }
  for (char** e = environ; e && *e; ++e) {
    record_hex_line(&b, "env", *e, strlen(*e));
  }
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) {
    die("getcwd");
  }
  record_hex_line(&b, "cwd", cwd, strlen(cwd));
  buf_str(&b, "pid ");
  buf_fmt_long(&b, (long)getpid());
  buf_str(&b, "\nppid ");
  buf_fmt_long(&b, (long)getppid());
  buf_str(&b, "\n");
  record_fds(&b);
  record_signals(&b);
  if (read_stdin && strcmp(read_stdin, "1") == 0) {
    record_stdin(&b);
  }
  buf_str(&b, "end\n");

  /* Write to a temp name and rename, so a reader never sees half a record. */
  if (!record_path || !*record_path) {
    record_path = default_record_path();
  }
  char tmp[PATH_MAX + 64];
  snprintf(tmp, sizeof tmp, "%s.tmp", record_path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    die(tmp);
  }
  write_all(fd, b.data, b.len);
  if (close(fd) != 0) {
    die("close record");
  }
  if (rename(tmp, record_path) != 0) {
    die("rename record");
  }
  free(b.data);

  if (out_text) {
    write_all(1, out_text, strlen(out_text));
  }
  if (err_text) {
    write_all(2, err_text, strlen(err_text));
  }

  if (signal_text && *signal_text) {
    int sig = atoi(signal_text);
    /* The inherited mask or disposition may hide the signal; undo both. */
    signal(sig, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    raise(sig);
    return 251; /* not reached for a fatal signal */
  }
  return exit_text && *exit_text ? atoi(exit_text) : 0;
}
