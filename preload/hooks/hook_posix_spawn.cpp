// posix_spawn: GNU make and libuv (node's async spawn) use it. The gate gets the same file
// actions and attributes, so its fds, signal mask and process group match the original launch.
#include <spawn.h>

#include "exec_hook.hpp"
#include "spawn_call.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                                const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  return guarded_spawn(
      path, argv, envp,
      [&](char* const* env) { return call_real_posix_spawn(pid, path, actions, attr, argv, env); },
      [&](const char* gate, char* const* gate_argv, char* const* env) {
        return call_real_posix_spawn(pid, gate, actions, attr, gate_argv, env);
      });
}
