// truncate, truncate64 (perl's truncate, Python's os.truncate with a path). `truncate -s0 FILE`
// (coreutils) opens the file for writing and calls ftruncate: that is the open hook's refusal.
#undef _FORTIFY_SOURCE
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include "exec_hook.hpp"
#include "files/file_guard.hpp"
#include "real_functions.hpp"

using namespace agentguard::preload;

namespace {

using TruncateFn = int (*)(const char*, off_t);

int guarded_truncate(RealFn which, const char* path, off_t length) {
  if (!file_call_allowed(FileOp::truncate, AT_FDCWD, path, agentguard::core::FinalLink::follow)) return -1;
  auto fn = real<TruncateFn>(which);
  if (fn == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return fn(path, length);
}

}  // namespace

AGENTGUARD_HOOK int truncate(const char* path, off_t length) {
  return guarded_truncate(RealFn::truncate, path, length);
}

AGENTGUARD_HOOK int truncate64(const char* path, off_t length) {
  return guarded_truncate(RealFn::truncate64, path, length);
}
