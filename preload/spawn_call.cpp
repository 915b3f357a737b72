#include "spawn_call.hpp"

#include <errno.h>

#include "real_functions.hpp"

namespace agentguard::preload {
namespace {
using SpawnFn = int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*, const posix_spawnattr_t*,
                        char* const*, char* const*);
}

int call_real_posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                          const posix_spawnattr_t* attr, char* const* argv, char* const* envp) {
  if (auto fn = real<SpawnFn>(RealFn::posix_spawn)) return fn(pid, path, actions, attr, argv, envp);
  return ENOSYS;
}

int call_real_posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                           const posix_spawnattr_t* attr, char* const* argv, char* const* envp) {
  if (auto fn = real<SpawnFn>(RealFn::posix_spawnp)) return fn(pid, file, actions, attr, argv, envp);
  return ENOSYS;
}

}  // namespace agentguard::preload
