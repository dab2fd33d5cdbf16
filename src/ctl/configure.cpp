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
#include <fstream>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "isolcpus/containerd_config.hpp"
#include "isolcpus/crio_config.hpp"
#include "isolcpus/line_diff.hpp"
#include "isolcpus/unique_fd.hpp"
#include "systemd_restart.hpp"

namespace isolcpus {
namespace fs = std::filesystem;
namespace {

struct FileText {
  std::string text;
  bool exists = false;
  mode_t mode = 0644;
};

Expected<FileText> read_text(const fs::path& path) {
  FileText file;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return file;
    }
    return make_error("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return make_error("cannot read " + path.string());
  }
  file.text = text.str();
  file.exists = true;
  file.mode = st.st_mode & 07777;
  return file;
}

Expected<void> write_all(int fd, std::string_view text, const fs::path& path) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return make_error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) {
    return make_error("cannot sync " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

// Write to a temporary beside the file, sync, rename over it: a crash leaves
// the old file or the new one, never half of either.
Expected<void> replace_file(const fs::path& path, std::string_view text, mode_t mode) {
  const fs::path tmp = path.string() + ".runc-isolcpus.tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) {
    return make_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
  }
  auto ok = write_all(fd.get(), text, tmp);
  if (ok && ::fchmod(fd.get(), mode) != 0) {
    ok = make_error("cannot chmod " + tmp.string() + ": " + std::strerror(errno));
  }
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = make_error("cannot rename " + tmp.string() + " to " + path.string() + ": " + std::strerror(errno));
  }
  if (!ok) {
    ::unlink(tmp.c_str());
  }
  return ok;
}

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
        auto imported = read_text(found.gl_pathv[i]);
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
    const int null = ::open("/dev/null", O_WRONLY);
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

// One file to change: where, what it held, what it will hold.
struct Edit {
  fs::path target;
  FileText before;
  ConfigureResult result;
  std::string unit;  // the runtime's systemd service
};

Expected<Edit> edit_containerd(const ConfigureArgs& args, std::ostream& out) {
  const fs::path file = args.file.empty() ? fs::path("/etc/containerd/config.toml") : fs::path(args.file);
  auto current = read_text(file);
  if (!current) {
    return current.error();
  }
  Edit edit;
  edit.target = file_holding_cri(file, current->text, out);
  edit.unit = "containerd.service";
  auto before = edit.target == file ? current : read_text(edit.target);
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
    auto text = read_text(path);
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
  auto before = read_text(edit.target);
  auto sources = crio_sources(edit.target);
  auto request = args.undo ? Expected<ConfigureRequest>(ConfigureRequest{}) : request_of(args);
  if (!before || !sources || !request) {
    return make_error(!before    ? before.error().message
                      : !sources ? sources.error().message
                                 : request.error().message);
  }
  edit.before = std::move(*before);
  auto result = args.undo ? unconfigure_handler(edit.before.text, edit.target.string(), args.handler)
                          : configure_crio(edit.before.text, edit.target.string(), *sources, *request);
  if (!result) {
    return result.error();
  }
  edit.result = std::move(*result);
  return edit;
}

Expected<void> save(const Edit& edit, std::ostream& out) {
  const fs::path& target = edit.target;
  if (edit.before.exists) {
    const fs::path backup = target.string() + ".runc-isolcpus.bak";
    if (auto ok = replace_file(backup, edit.before.text, edit.before.mode); !ok) {
      return ok;
    }
    out << "saved the previous " << target.string() << " as " << backup.string() << "\n";
  }
  // A drop-in configure made holds nothing else: it goes with the block.
  if (edit.result.text.empty() && edit.unit == "crio.service") {
    if (::unlink(target.c_str()) != 0) {
      return make_error("cannot remove " + target.string() + ": " + std::strerror(errno));
    }
    out << "removed " << target.string() << "\n";
    return {};
  }
  if (auto ok = replace_file(target, edit.result.text, edit.before.mode); !ok) {
    return ok;
  }
  out << "wrote " << target.string() << "\n";
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
  if (!edit->result.changed) {
    out << edit->target.string() << ": nothing to change\n";
    return 0;
  }
  if (args.dry_run) {
    out << unified_diff(edit->before.text, edit->result.text, edit->target.string());
    return 0;
  }
  if (auto ok = save(*edit, out); !ok) {
    err << verb << ok.error().message << "\n";
    return 1;
  }
  if (!args.restart) {
    out << args.runtime << " reads it when it restarts (--restart, or systemctl restart " << edit->unit
        << ")\n";
    return 0;
  }
  if (auto ok = restart_unit(edit->unit, std::chrono::seconds(90)); !ok) {
    err << verb << ok.error().message << "\n";
    return 1;
  }
  out << "restarted " << edit->unit << "\n";
  return 0;
}

}  // namespace isolcpus
