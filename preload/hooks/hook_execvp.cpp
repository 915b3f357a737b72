// execvp: node's child_process, env, xargs and perl's system use it.
#include <unistd.h>

#include "path_exec.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int execvp(const char* file, char* const argv[]) noexcept {
  return guarded_path_exec(file, argv, environ);
}
