// rename, renameat, renameat2: mv (renameat2 with RENAME_NOREPLACE, then renameat), sed -i (its
// temporary file renamed over the original), Python's os.rename/os.replace/shutil.move. Either
// side counts: moving a protected file away, and moving another file over a protected name.
// rename acts on names, never through a final symlink.
#undef _FORTIFY_SOURCE
#include <fcntl.h>
#include <stdio.h>

#include "exec_hook.hpp"
#include "files/file_guard.hpp"
#include "real_functions.hpp"

using namespace agentguard::preload;

namespace {

using RenameFn = int (*)(const char*, const char*);
using RenameatFn = int (*)(int, const char*, int, const char*);
using Renameat2Fn = int (*)(int, const char*, int, const char*, unsigned);

bool both_allowed(int old_dirfd, const char* old_path, int new_dirfd, const char* new_path) {
  using agentguard::core::FinalLink;
  return file_call_allowed(FileOp::rename, old_dirfd, old_path, FinalLink::keep) &&
         file_call_allowed(FileOp::rename, new_dirfd, new_path, FinalLink::keep);
}

int missing() {
  errno = ENOSYS;
  return -1;
}

}  // namespace

AGENTGUARD_HOOK int rename(const char* old_path, const char* new_path) {
  if (!both_allowed(AT_FDCWD, old_path, AT_FDCWD, new_path)) return -1;
  auto fn = real<RenameFn>(RealFn::rename);
  return fn != nullptr ? fn(old_path, new_path) : missing();
}

AGENTGUARD_HOOK int renameat(int old_dirfd, const char* old_path, int new_dirfd, const char* new_path) {
  if (!both_allowed(old_dirfd, old_path, new_dirfd, new_path)) return -1;
  auto fn = real<RenameatFn>(RealFn::renameat);
  return fn != nullptr ? fn(old_dirfd, old_path, new_dirfd, new_path) : missing();
}

AGENTGUARD_HOOK int renameat2(int old_dirfd, const char* old_path, int new_dirfd, const char* new_path,
                              unsigned flags) {
  if (!both_allowed(old_dirfd, old_path, new_dirfd, new_path)) return -1;
  auto fn = real<Renameat2Fn>(RealFn::renameat2);
  return fn != nullptr ? fn(old_dirfd, old_path, new_dirfd, new_path, flags) : missing();
}
