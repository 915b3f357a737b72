// pidfd_spawn / pidfd_spawnp (glibc 2.39+): compiled only where <spawn.h> declares them
// (CMake's feature check defines AGENTGUARD_HAVE_PIDFD_SPAWN).
#ifdef AGENTGUARD_HAVE_PIDFD_SPAWN
#include <spawn.h>

#include "core/launch/identity.hpp"
#include "exec_hook.hpp"
#include "real_functions.hpp"

using namespace agentguard::preload;

namespace {
using PidfdSpawnFn = int (*)(int*, const char*, const posix_spawn_file_actions_t*, const posix_spawnattr_t*,
                             char* const*, char* const*);

int call_real(RealFn which, int* pidfd, const char* path, const posix_spawn_file_actions_t* actions,
              const posix_spawnattr_t* attr, char* const* argv, char* const* envp) {
  if (auto fn = real<PidfdSpawnFn>(which)) return fn(pidfd, path, actions, attr, argv, envp);
  return ENOSYS;
}
}  // namespace

AGENTGUARD_HOOK int pidfd_spawn(int* pidfd, const char* path, const posix_spawn_file_actions_t* actions,
                                const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  return guarded_spawn(
      path, argv, envp,
      [&](char* const* env) { return call_real(RealFn::pidfd_spawn, pidfd, path, actions, attr, argv, env); },
      [&](const char* gate, char* const* gate_argv, char* const* env) {
        return call_real(RealFn::pidfd_spawn, pidfd, gate, actions, attr, gate_argv, env);
      });
}

AGENTGUARD_HOOK int pidfd_spawnp(int* pidfd, const char* file, const posix_spawn_file_actions_t* actions,
                                 const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  char found[agentguard::core::kMaxPath];
  const char* examine = search_path(file, found);
  return guarded_spawn(
      examine, argv, envp,
      [&](char* const* env) { return call_real(RealFn::pidfd_spawnp, pidfd, file, actions, attr, argv, env); },
      [&](const char* gate, char* const* gate_argv, char* const* env) {
        return call_real(RealFn::pidfd_spawn, pidfd, gate, actions, attr, gate_argv, env);
      });
}
#endif
