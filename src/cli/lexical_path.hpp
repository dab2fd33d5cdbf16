// Go's filepath.Abs and runc's container-id rule, done on strings only: the
// parser must not touch the filesystem (paths may not exist yet, and every
// syscall costs on the exec-probe path).
#pragma once

#include <string>
#include <string_view>

namespace isolcpus::cli {

// filepath.Abs(path) with `cwd` as the working directory: an absolute path is
// cleaned, a relative one (including "") is joined to cwd and cleaned.
// Cleaning is lexical: repeated '/' and "." vanish, ".." removes the previous
// component (never above "/"), no trailing '/'.
std::string absolute_path(std::string_view path, std::string_view cwd);

// --bundle as runc's os.Chdir sees it: an absolute path as given, a
// relative one joined to the (canonical) cwd, "" the cwd.  Not cleaned: in
// "lnk/../b" the kernel follows lnk before "..", which only the shell can
// do (realpath), so the parser must not pre-empt it.
std::string joined_path(std::string_view path, std::string_view cwd);

// libcontainer's validateID: non-empty, only [A-Za-z0-9_+.-], and not "." or
// ".." (which would name the state directory or its parent).
bool is_valid_container_id(std::string_view id);

}  // namespace isolcpus::cli
