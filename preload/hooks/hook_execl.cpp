// execl: variadic; glibc would go straight to its hidden execve, so we collect the list ourselves.
#include <unistd.h>

#include <cstdarg>

#include "collected_argv.hpp"
#include "exec_hook.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int execl(const char* path, const char* arg, ...) noexcept {
  CollectedArgv collected;
  va_list args;
  va_start(args, arg);
  const bool ok = collected.collect(arg, args, nullptr);
  va_end(args);
  if (!ok) {
    errno = ENOMEM;
    return -1;
  }
  char* const* argv = collected.argv();
  return guarded_exec<ExaminedPath::callers>(path, argv, environ,
                                             [&](char* const* env) { return call_real_execve(path, argv, env); });
}
