// link, linkat: a hard link to a protected file is a second name through which it can be written
// or truncated, so linking from a protected path is refused like writing it; linking a new
// protected name into place is refused like creating it. (cp -l, ln, tar's hard links, git.)
#undef _FORTIFY_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "exec_hook.hpp"
#include "files/file_guard.hpp"
#include "real_functions.hpp"

using namespace agentguard::preload;

namespace {

using LinkFn = int (*)(const char*, const char*);
using LinkatFn = int (*)(int, const char*, int, const char*, int);

int missing() {
  errno = ENOSYS;
  return -1;
}

}  // namespace

AGENTGUARD_HOOK int link(const char* old_path, const char* new_path) {
  using agentguard::core::FinalLink;
  // Linux's link() does not follow a symlink given as old_path.
  if (!file_call_allowed(FileOp::link, AT_FDCWD, old_path, FinalLink::keep) ||
      !file_call_allowed(FileOp::link, AT_FDCWD, new_path, FinalLink::keep))
    return -1;
  auto fn = real<LinkFn>(RealFn::link);
  return fn != nullptr ? fn(old_path, new_path) : missing();
}

AGENTGUARD_HOOK int linkat(int old_dirfd, const char* old_path, int new_dirfd, const char* new_path, int flags) {
  using agentguard::core::FinalLink;
  const bool from_fd = (flags & AT_EMPTY_PATH) != 0 && is_empty_path(old_path);
  const bool old_ok =
      from_fd ? fd_call_allowed(FileOp::link, old_dirfd)
              : file_call_allowed(FileOp::link, old_dirfd, old_path,
                                  (flags & AT_SYMLINK_FOLLOW) != 0 ? FinalLink::follow : FinalLink::keep);
  if (!old_ok || !file_call_allowed(FileOp::link, new_dirfd, new_path, FinalLink::keep)) return -1;
  auto fn = real<LinkatFn>(RealFn::linkat);
  return fn != nullptr ? fn(old_dirfd, old_path, new_dirfd, new_path, flags) : missing();
}
