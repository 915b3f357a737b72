// execvpe: PATH search with the caller's own envp (os.execvpe with a scrubbed environment).
#include <unistd.h>

#include "path_exec.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int execvpe(const char* file, char* const argv[], char* const envp[]) noexcept {
  return guarded_path_exec(file, argv, envp);
}
