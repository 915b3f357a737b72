// execv: CPython's subprocess calls it in a vfork child (once per PATH entry).
#include <unistd.h>

#include "exec_hook.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int execv(const char* path, char* const argv[]) noexcept {
  char* const* envp = environ;
  return guarded_exec<ExaminedPath::callers>(path, argv, envp,
                                             [&](char* const* env) { return call_real_execve(path, argv, env); });
}
