#pragma once
// The libc functions behind our exec and file hooks (the `eager` and `lazy` entries of hooks.def),
// the answers of dlsym(RTLD_NEXT) (in the constructor through next_symbol.hpp), stored atomically. A
// missing function is reported as nullptr and each hook falls back to the raw syscall or fails
// with ENOSYS: the host is never aborted.
//
// Only the functions the hooks finally call are resolved: every exec-family hook ends in execve,
// execvpe, fexecve or execveat, so execv/execl/... need no real pointer of their own.
//
// Two kinds (the order of the enum matters: the eager ones come first):
// - eager: resolved in the constructor, because they are called on exec paths that run in vfork
//   children and in forked children of multithreaded parents, where dlsym must not run (it takes
//   the loader lock, and a failed lookup mallocs its dlerror state). execve (execve, execv,
//   execl, execle hooks: CPython's _posixsubprocess calls execv/execve in a vfork child),
//   execvpe (behind the execvp, execlp and execvpe hooks: libiberty's pex_unix_exec_child, i.e.
//   the gcc driver, and many shells' `vfork(); execvp()` idiom), fexecve and execveat.
//   Before the constructor (another library's constructor launching something) they are looked
//   up on first use: no vfork child can exist that early in the process.
// - lazy: posix_spawn, posix_spawnp, pidfd_spawn(p), system, popen. None of them is
//   async-signal-safe, so POSIX lets no caller use them in a vfork child, a signal handler or a
//   forked child of a multithreaded parent; they always run in ordinary context, where a dlsym
//   is as safe as the function itself (which takes locks and mallocs on its own). They are
//   looked up on their first call, which saves every process that never spawns one (most) four
//   dlsym calls.

#include "next_symbol.hpp"

namespace agentguard::preload {

// The eager functions first, then the lazy ones, each in the order of hooks.def.
enum class RealFn : unsigned {
#define AGENTGUARD_REAL_eager(id, symbol) id,
#include "hooks.def"
#define AGENTGUARD_REAL_lazy(id, symbol) id,
#include "hooks.def"
  count,
};

inline constexpr unsigned kEagerRealFnCount = 0
#define AGENTGUARD_REAL_eager(id, symbol) +1
#include "hooks.def"
    ;

// The constructor's part: the eager functions only.
void resolve_real_functions(const NextSymbols& next);
void* real_function(RealFn fn);

template <typename F>
F real(RealFn fn) {
  return reinterpret_cast<F>(real_function(fn));
}

}  // namespace agentguard::preload
