// execle: variadic, with the envp after the terminating NULL.
#include <unistd.h>

#include <cstdarg>

#include "collected_argv.hpp"
#include "exec_hook.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int execle(const char* path, const char* arg, ...) noexcept {
  CollectedArgv collected;
  char* const* envp = nullptr;
  va_list args;
  va_start(args, arg);
  const bool ok = collected.collect(arg, args, &envp);
  va_end(args);
  if (!ok) {
    errno = ENOMEM;
    return -1;
  }
  char* const* argv = collected.argv();
  return guarded_exec<ExaminedPath::callers>(path, argv, envp,
                                             [&](char* const* env) { return call_real_execve(path, argv, env); });
}
