// popen(): like system(), the /bin/sh it starts is what carries the hooks.
#include <stdio.h>

#include "exec_hook.hpp"
#include "real_functions.hpp"
#include "shell_command.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK FILE* popen(const char* command, const char* mode) {
  using Fn = FILE* (*)(const char*, const char*);
  auto fn = real<Fn>(RealFn::popen);
  if (fn == nullptr) {
    errno = ENOSYS;
    return nullptr;
  }
  ScratchMapping scratch;
  return fn(guarded_shell_command(command, scratch), mode);
}
