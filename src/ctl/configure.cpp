// configure / unconfigure: add the wrapper's runtime handler to containerd's
// config (the pure edit is src/configure/containerd_config.cpp), write it
// atomically beside a backup, and restart containerd only when asked.
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>

#include "commands.hpp"
#include "config_file.hpp"
#include "isolcpus/containerd_config.hpp"
#include "isolcpus/crio_config.hpp"
#include "isolcpus/line_diff.hpp"
#include "isolcpus/unique_fd.hpp"
#include "systemd_restart.hpp"

namespace isolcpus {
namespace fs = std::filesystem;
namespace {

// containerd 1.x takes the CRI section whole from the last import that has
// one: the handler goes there.
fs::path file_holding_cri(const fs::path& config, std::string_view text, std::ostream& out) {
  fs::path target = config;
  for (const std::string& pattern : containerd_imports(text)) {
    const fs::path full =
        fs::path(pattern).is_absolute() ? fs::path(pattern) : config.parent_path() / pattern;
    glob_t found{};
    if (::glob(full.c_str(), 0, nullptr, &found) == 0) {
      for (std::size_t i = 0; i < found.gl_pathc; ++i) {
        const std::string_view name = found.gl_pathv[i];
        if (name.ends_with(".runc-isolcpus.bak") || name.ends_with(".runc-isolcpus.tmp")) {
          continue;  // an older configure's leftovers, never the runtime's
        }
        auto imported = read_config_file(found.gl_pathv[i]);
        if (imported && defines_cri_runtime_plugin(imported->text)) {
          target = found.gl_pathv[i];
        }
      }
    }
    ::globfree(&found);
  }
  if (target != config) {
    out << "the CRI section is in " << target.string() << " (imported by " << config.string()
        << "): containerd takes it whole from there, so the handler goes there\n";
  }
  return target;
}

}  // namespace

namespace {

// containerd's config schema from `containerd --version`; 0 when it cannot
// tell (no containerd here, as in the installer's container).
int installed_containerd_schema() {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    return 0;
  }
  UniqueFd read_end(pipefd[0]);
  UniqueFd write_end(pipefd[1]);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(write_end.get(), STDOUT_FILENO);
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);  // dup2 clears it on the copy
    ::dup2(null, STDERR_FILENO);
    ::execlp("containerd", "containerd", "--version", nullptr);
    ::_exit(127);
  }
  write_end.reset();
  std::string output;
  char buf[512];
  ssize_t n = 0;
  while (pid > 0 && ((n = ::read(read_end.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))) {
    output.append(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
  }
  int status = 0;
  while (pid > 0 && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? containerd_schema_of(output) : 0;
}

bool valid_handler(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

Expected<std::string> wrapper_path(const ConfigureArgs& args) {
  if (!args.wrapper.empty()) {
    if (!fs::path(args.wrapper).is_absolute()) {
      return make_error("--wrapper " + args.wrapper + " is not an absolute path");
    }
    return args.wrapper;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path wrapper = self.parent_path() / "runc-isolcpus";
  if (ec || ::access(wrapper.c_str(), X_OK) != 0) {
    return make_error("cannot find runc-isolcpus beside this runc-isolcpus-ctl (" + wrapper.string() +
                      "); name it with --wrapper");
  }
  return wrapper.string();
}

Expected<ConfigureRequest> request_of(const ConfigureArgs& args) {
  auto wrapper = wrapper_path(args);
  if (!wrapper) {
    return wrapper.error();
  }
  ConfigureRequest request;
  request.handler = args.handler;
  request.wrapper_path = *wrapper;
  request.pod_annotations = default_pod_annotations();
  return request;
}

// One file to change: where, what it held, what it will hold, and the
// locks that keep it ours from the read to the write.
struct Edit {
  fs::path target;
  ConfigFile before;
  ConfigureResult result;
  std::string unit;  // the runtime's systemd service
  std::vector<DirLock> locks;
};

// The directory of `path`, locked once, in the order asked (config.toml's
// directory before an import's: two runs take them in the same order).
Expected<void> lock_dir_of(const fs::path& path, Edit& edit) {
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (std::any_of(edit.locks.begin(), edit.locks.end(),
                  [&](const DirLock& held) { return held.dir() == dir; })) {
    return {};
  }
  auto lock = DirLock::take(dir);
  if (!lock) {
    return lock.error();
  }
  edit.locks.push_back(std::move(*lock));
  return {};
}

Expected<Edit> edit_containerd(const ConfigureArgs& args, std::ostream& out) {
  const fs::path file = args.file.empty() ? fs::path("/etc/containerd/config.toml") : fs::path(args.file);
  Edit edit;
  edit.unit = "containerd.service";
  if (auto locked = lock_dir_of(file, edit); !locked) {
    return locked.error();
  }
  auto current = read_config_file(file);
  if (!current) {
    return current.error();
  }
  edit.target = file_holding_cri(file, current->text, out);
  if (auto locked = lock_dir_of(edit.target, edit); !locked) {
    return locked.error();
  }
  auto before = edit.target == file ? current : read_config_file(edit.target);
  if (!before) {
    return before.error();
  }
  edit.before = std::move(*before);
  auto request = args.undo ? Expected<ConfigureRequest>(ConfigureRequest{}) : request_of(args);
  if (!request) {
    return request.error();
  }
  request->fallback_version = args.config_version != 0 ? args.config_version : installed_containerd_schema();
  auto result = args.undo ? unconfigure_handler(edit.before.text, edit.target.string(), args.handler)
                          : configure_containerd(edit.before.text, edit.target.string(), *request);
  if (!result) {
    return result.error();
  }
  edit.result = std::move(*result);
  return edit;
}

// CRI-O reads crio.conf, then its drop-ins by name: ours comes last, and
// copies what the others leave the default handler with.
Expected<std::vector<CrioSource>> crio_sources(const fs::path& dropin) {
  std::vector<fs::path> paths{dropin.parent_path().parent_path() / "crio.conf"};
  std::vector<fs::path> dropins;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dropin.parent_path(), ec)) {
    if (entry.path().extension() == ".conf" && entry.path() != dropin) {
      dropins.push_back(entry.path());
    }
  }
  std::sort(dropins.begin(), dropins.end());
  paths.insert(paths.end(), dropins.begin(), dropins.end());
  std::vector<CrioSource> sources;
  for (const fs::path& path : paths) {
    auto text = read_config_file(path);
    if (!text) {
      return text.error();
    }
    if (text->exists) {
      sources.push_back({path.string(), std::move(text->text)});
    }
  }
  return sources;
}

Expected<Edit> edit_crio(const ConfigureArgs& args) {
  Edit edit;
  edit.target =
      args.file.empty() ? fs::path("/etc/crio/crio.conf.d/99-runc-isolcpus.conf") : fs::path(args.file);
  edit.unit = "crio.service";
  if (!args.undo && !args.dry_run) {
    std::error_code ec;
    fs::create_directories(edit.target.parent_path(), ec);  // CRI-O reads it once it is there
  }
  if (auto locked = lock_dir_of(edit.target, edit); !locked) {
    return locked.error();
  }
  auto before = read_config_file(edit.target);
  auto sources = crio_sources(edit.target);
  auto request = args.undo ? Expected<ConfigureRequest>(ConfigureRequest{}) : request_of(args);
  if (!before || !sources || !request) {
    return make_error(!before    ? before.error().message
                      : !sources ? sources.error().message
                                 : request.error().message);
  }
  edit.before = std::move(*before);
  request->pod_annotations = crio_allowed_annotations();
  auto result = args.undo ? unconfigure_handler(edit.before.text, edit.target.string(), args.handler)
                          : configure_crio(edit.before.text, edit.target.string(), *sources, *request);
  if (!result) {
    return result.error();
  }
  edit.result = std::move(*result);
  return edit;
}

}  // namespace

namespace {

// The runtime has to read the file again: after a change, or when it was
// started before the file's last change (a restart that failed or never
// came, after an earlier run).
Expected<bool> needs_restart(const Edit& edit, std::ostream& out) {
  if (edit.result.changed) {
    return true;
  }
  auto stale = unit_started_before(edit.unit, edit.before.mtime_usec);
  if (stale && *stale) {
    out << edit.unit << " started before " << edit.target.string() << " last changed: restarting it\n";
  }
  return stale;
}

Expected<void> restart_if_needed(const ConfigureArgs& args, const Edit& edit, std::ostream& out) {
  if (!args.restart) {
    if (edit.result.changed) {
      out << args.runtime << " reads it when it restarts (--restart, or systemctl restart " << edit.unit
          << ")\n";
    }
    return {};
  }
  auto restart = needs_restart(edit, out);
  if (!restart) {
    return restart.error();
  }
  if (!*restart) {
    return {};
  }
  if (auto ok = restart_unit(edit.unit, std::chrono::seconds(90)); !ok) {
    return ok;
  }
  out << "restarted " << edit.unit << "\n";
  return {};
}

}  // namespace

int cmd_configure(const ConfigureArgs& args, std::ostream& out, std::ostream& err) {
  const std::string_view verb = args.undo ? "unconfigure: " : "configure: ";
  if (args.runtime != "containerd" && args.runtime != "crio") {
    err << verb << "runtime \"" << args.runtime << "\": use containerd or crio\n";
    return 2;
  }
  if (!valid_handler(args.handler)) {
    err << verb << "--handler \"" << args.handler << "\": use letters, digits, '.', '_' and '-'\n";
    return 2;
  }
  auto edit = args.runtime == "crio" ? edit_crio(args) : edit_containerd(args, out);
  if (!edit) {
    err << verb << edit.error().message << "\n";
    return 1;
  }
  for (const std::string& note : edit->result.notes) {
    out << note << "\n";
  }
  if (args.dry_run) {
    out << (edit->result.changed ? unified_diff(edit->before.text, edit->result.text, edit->target.string())
                                 : edit->target.string() + ": nothing to change\n");
    return 0;
  }
  Expected<void> done{};
  if (!edit->result.changed) {
    out << edit->target.string() << ": nothing to change\n";
  } else {
    done = replace_config_file(edit->target, edit->before, edit->result.text, edit->unit == "crio.service",
                               args.backup_dir, out);
  }
  edit->locks.clear();
  if (done) {
    done = restart_if_needed(args, *edit, out);
  }
  if (!done) {
    err << verb << done.error().message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace isolcpus
