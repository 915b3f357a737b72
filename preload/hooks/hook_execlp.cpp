// execlp: variadic and PATH-searching.
#include <unistd.h>

#include <cstdarg>

#include "collected_argv.hpp"
#include "path_exec.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int execlp(const char* file, const char* arg, ...) noexcept {
  CollectedArgv collected;
  va_list args;
  va_start(args, arg);
  const bool ok = collected.collect(arg, args, nullptr);
  va_end(args);
  if (!ok) {
    errno = ENOMEM;
    return -1;
  }
  return guarded_path_exec(file, collected.argv(), environ);
}
