// fopen, fopen64, freopen, freopen64: glibc's fopen opens the file with its own internal open,
// not the exported one, so stdio writers (sed -i's temporary file aside, tee, bash's history,
// perl, git, node) are only seen here. "r" alone goes straight to libc.
#undef _FORTIFY_SOURCE
#include <fcntl.h>
#include <stdio.h>

#include "exec_hook.hpp"
#include "files/file_guard.hpp"
#include "real_functions.hpp"

using namespace agentguard::preload;

namespace {

using FopenFn = FILE* (*)(const char*, const char*);
using FreopenFn = FILE* (*)(const char*, const char*, FILE*);

FILE* guarded_fopen(RealFn which, const char* path, const char* mode) {
  // fopen follows a final symlink ("wx" does not, but then it fails with EEXIST anyway).
  if (fopen_mode_can_write(mode) &&
      !file_call_allowed(FileOp::write, AT_FDCWD, path, agentguard::core::FinalLink::follow))
    return nullptr;
  auto fn = real<FopenFn>(which);
  if (fn == nullptr) {
    errno = ENOSYS;
    return nullptr;
  }
  return fn(path, mode);
}

FILE* guarded_freopen(RealFn which, const char* path, const char* mode, FILE* stream) {
  if (fopen_mode_can_write(mode)) {
    // freopen(NULL, "w", f) reopens f's own file (through /proc/self/fd) in the new mode.
    const bool ok = path != nullptr
                        ? file_call_allowed(FileOp::write, AT_FDCWD, path, agentguard::core::FinalLink::follow)
                        : stream == nullptr || fd_call_allowed(FileOp::write, fileno(stream));
    if (!ok) return nullptr;
  }
  auto fn = real<FreopenFn>(which);
  if (fn == nullptr) {
    errno = ENOSYS;
    return nullptr;
  }
  return fn(path, mode, stream);
}

}  // namespace

AGENTGUARD_HOOK FILE* fopen(const char* path, const char* mode) { return guarded_fopen(RealFn::fopen, path, mode); }

AGENTGUARD_HOOK FILE* fopen64(const char* path, const char* mode) {
  return guarded_fopen(RealFn::fopen64, path, mode);
}

AGENTGUARD_HOOK FILE* freopen(const char* path, const char* mode, FILE* stream) {
  return guarded_freopen(RealFn::freopen, path, mode, stream);
}

AGENTGUARD_HOOK FILE* freopen64(const char* path, const char* mode, FILE* stream) {
  return guarded_freopen(RealFn::freopen64, path, mode, stream);
}
