// posix_spawnp: PATH search with the caller's environ PATH (glibc's rule), then as posix_spawn.
#include <spawn.h>

#include "core/launch/identity.hpp"
#include "exec_hook.hpp"
#include "spawn_call.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                                 const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  char found[agentguard::core::kMaxPath];
  const char* examine = search_path(file, found);
  return guarded_spawn(
      examine, argv, envp,
      [&](char* const* env) { return call_real_posix_spawnp(pid, file, actions, attr, argv, env); },
      [&](const char* gate, char* const* gate_argv, char* const* env) {
        return call_real_posix_spawn(pid, gate, actions, attr, gate_argv, env);
      });
}
