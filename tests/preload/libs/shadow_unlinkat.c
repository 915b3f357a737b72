/* A second preloaded library, after libagentguard.so, that wraps unlinkat: the real function
 * behind our hook must be this one (what dlsym(RTLD_NEXT) gives), not libc's. It says so on
 * stderr and passes the call on. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>

int unlinkat(int dirfd, const char* path, int flags) {
  static const char said[] = "shadow-unlinkat\n";
  (void)!write(2, said, sizeof said - 1);
  int (*next)(int, const char*, int) = (int (*)(int, const char*, int))dlsym(RTLD_NEXT, "unlinkat");
  return next(dirfd, path, flags);
}
