// execve: what bash and dash call for every external command.
#include <unistd.h>

#include "exec_hook.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int execve(const char* path, char* const argv[], char* const envp[]) noexcept {
  return guarded_exec<ExaminedPath::callers>(path, argv, envp,
                                             [&](char* const* env) { return call_real_execve(path, argv, env); });
}
