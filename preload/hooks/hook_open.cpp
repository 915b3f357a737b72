// open, open64, openat, openat64, creat, creat64, and the fortified __open_2 family (what
// `-D_FORTIFY_SOURCE` builds call: git, tar, perl, python3, install). These are what bash
// redirections (`>`, `>>`), cp, install, truncate, dd, tar and Python's open() call; a call that
// can change the file goes through the protected-paths check, a plain read only pays a flag test.
#undef _FORTIFY_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <sys/types.h>

#include "exec_hook.hpp"
#include "files/file_guard.hpp"
#include "real_functions.hpp"

using namespace agentguard::preload;

namespace {

using OpenFn = int (*)(const char*, int, ...);
using OpenatFn = int (*)(int, const char*, int, ...);
using Open2Fn = int (*)(const char*, int);
using Openat2Fn = int (*)(int, const char*, int);
using CreatFn = int (*)(const char*, mode_t);

// open reads its third argument only for these flags (glibc's __OPEN_NEEDS_MODE).
bool takes_mode(int flags) { return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE; }

bool allowed(int dirfd, const char* path, int flags) {
  return !open_can_write(flags) || file_call_allowed(FileOp::write, dirfd, path, open_final_link(flags));
}

int missing() {
  errno = ENOSYS;
  return -1;
}

int guarded_open(RealFn which, const char* path, int flags, mode_t mode) {
  if (!allowed(AT_FDCWD, path, flags)) return -1;
  auto fn = real<OpenFn>(which);
  return fn != nullptr ? fn(path, flags, mode) : missing();
}

int guarded_openat(RealFn which, int dirfd, const char* path, int flags, mode_t mode) {
  if (!allowed(dirfd, path, flags)) return -1;
  auto fn = real<OpenatFn>(which);
  return fn != nullptr ? fn(dirfd, path, flags, mode) : missing();
}

int guarded_open_2(RealFn which, const char* path, int flags) {
  if (!allowed(AT_FDCWD, path, flags)) return -1;
  auto fn = real<Open2Fn>(which);
  return fn != nullptr ? fn(path, flags) : missing();
}

int guarded_openat_2(RealFn which, int dirfd, const char* path, int flags) {
  if (!allowed(dirfd, path, flags)) return -1;
  auto fn = real<Openat2Fn>(which);
  return fn != nullptr ? fn(dirfd, path, flags) : missing();
}

int guarded_creat(RealFn which, const char* path, mode_t mode) {
  if (!file_call_allowed(FileOp::write, AT_FDCWD, path, agentguard::core::FinalLink::follow)) return -1;
  auto fn = real<CreatFn>(which);
  return fn != nullptr ? fn(path, mode) : missing();
}

}  // namespace

#define AGENTGUARD_MODE_ARG(flags, last)      \
  mode_t mode = 0;                            \
  if (takes_mode(flags)) {                    \
    va_list args;                             \
    va_start(args, last);                     \
    mode = static_cast<mode_t>(va_arg(args, int)); \
    va_end(args);                             \
  }

AGENTGUARD_HOOK int open(const char* path, int flags, ...) {
  AGENTGUARD_MODE_ARG(flags, flags)
  return guarded_open(RealFn::open, path, flags, mode);
}

AGENTGUARD_HOOK int open64(const char* path, int flags, ...) {
  AGENTGUARD_MODE_ARG(flags, flags)
  return guarded_open(RealFn::open64, path, flags, mode);
}

AGENTGUARD_HOOK int openat(int dirfd, const char* path, int flags, ...) {
  AGENTGUARD_MODE_ARG(flags, flags)
  return guarded_openat(RealFn::openat, dirfd, path, flags, mode);
}

AGENTGUARD_HOOK int openat64(int dirfd, const char* path, int flags, ...) {
  AGENTGUARD_MODE_ARG(flags, flags)
  return guarded_openat(RealFn::openat64, dirfd, path, flags, mode);
}

AGENTGUARD_HOOK int __open_2(const char* path, int flags) { return guarded_open_2(RealFn::open_2, path, flags); }

AGENTGUARD_HOOK int __open64_2(const char* path, int flags) { return guarded_open_2(RealFn::open64_2, path, flags); }

AGENTGUARD_HOOK int __openat_2(int dirfd, const char* path, int flags) {
  return guarded_openat_2(RealFn::openat_2, dirfd, path, flags);
}

AGENTGUARD_HOOK int __openat64_2(int dirfd, const char* path, int flags) {
  return guarded_openat_2(RealFn::openat64_2, dirfd, path, flags);
}

AGENTGUARD_HOOK int creat(const char* path, mode_t mode) { return guarded_creat(RealFn::creat, path, mode); }

AGENTGUARD_HOOK int creat64(const char* path, mode_t mode) { return guarded_creat(RealFn::creat64, path, mode); }
