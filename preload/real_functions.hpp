#pragma once
// The libc functions behind our hooks. Resolved with dlsym(RTLD_NEXT) in the constructor and
// stored atomically; a hook that runs before the constructor (another library's constructor
// launching something) resolves lazily. A missing function is reported as nullptr and each hook
// falls back to the raw syscall or fails with ENOSYS: the host is never aborted.
//
// Only the functions the hooks finally call are resolved: every exec-family hook ends in execve,
// execvpe, fexecve or execveat, so execv/execl/... need no real pointer of their own.

namespace agentguard::preload {

enum class RealFn : unsigned {
  execve,
  execvpe,
  fexecve,
  execveat,
  posix_spawn,
  posix_spawnp,
  system,
  popen,
  pidfd_spawn,
  pidfd_spawnp,
  count,
};

void resolve_real_functions();
void* real_function(RealFn fn);

template <typename F>
F real(RealFn fn) {
  return reinterpret_cast<F>(real_function(fn));
}

}  // namespace agentguard::preload
