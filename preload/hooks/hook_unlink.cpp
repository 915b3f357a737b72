// unlink, unlinkat, rmdir, remove: rm (unlinkat, fd-relative inside `rm -rf`), Python's os.remove,
// os.rmdir and shutil.rmtree (unlinkat with dir_fd), node's fs.rm, git. glibc's remove() calls its
// internal unlink/rmdir, so it is hooked itself. These act on the name, never through a symlink.
#undef _FORTIFY_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "exec_hook.hpp"
#include "files/file_guard.hpp"
#include "real_functions.hpp"

using namespace agentguard::preload;

namespace {

using PathFn = int (*)(const char*);
using UnlinkatFn = int (*)(int, const char*, int);

int guarded_path_call(RealFn which, FileOp op, const char* path) {
  if (!file_call_allowed(op, AT_FDCWD, path, agentguard::core::FinalLink::keep)) return -1;
  auto fn = real<PathFn>(which);
  if (fn == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return fn(path);
}

}  // namespace

AGENTGUARD_HOOK int unlink(const char* path) { return guarded_path_call(RealFn::unlink, FileOp::unlink, path); }

AGENTGUARD_HOOK int rmdir(const char* path) { return guarded_path_call(RealFn::rmdir, FileOp::rmdir, path); }

AGENTGUARD_HOOK int remove(const char* path) { return guarded_path_call(RealFn::remove, FileOp::unlink, path); }

AGENTGUARD_HOOK int unlinkat(int dirfd, const char* path, int flags) {
  const FileOp op = (flags & AT_REMOVEDIR) != 0 ? FileOp::rmdir : FileOp::unlink;
  if (!file_call_allowed(op, dirfd, path, agentguard::core::FinalLink::keep)) return -1;
  auto fn = real<UnlinkatFn>(RealFn::unlinkat);
  if (fn == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return fn(dirfd, path, flags);
}
