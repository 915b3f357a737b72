#pragma once
// Calling libc's posix_spawn family (used for the original launch and for the gate).
#include <spawn.h>

namespace agentguard::preload {

// ENOSYS if libc has no such function.
int call_real_posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                          const posix_spawnattr_t* attr, char* const* argv, char* const* envp);
int call_real_posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                           const posix_spawnattr_t* attr, char* const* argv, char* const* envp);

}  // namespace agentguard::preload
