// system(): glibc spawns /bin/sh -c COMMAND internally; we only make sure that shell is guarded.
#include <stdlib.h>

#include "exec_hook.hpp"
#include "real_functions.hpp"
#include "shell_command.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int system(const char* command) {
  using Fn = int (*)(const char*);
  auto fn = real<Fn>(RealFn::system);
  if (fn == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  ScratchMapping scratch;
  return fn(guarded_shell_command(command, scratch));
}
