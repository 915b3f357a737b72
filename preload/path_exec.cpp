#include "path_exec.hpp"

#include <errno.h>
#include <unistd.h>

#include "core/launch/path_search.hpp"
#include "core/base/text.hpp"
#include "real_functions.hpp"

namespace agentguard::preload {

int call_real_execvpe(const char* file, char* const* argv, char* const* envp) {
  using Fn = int (*)(const char*, char* const*, char* const*);
  if (auto fn = real<Fn>(RealFn::execvpe)) return fn(file, argv, envp);
  // No execvpe in this libc: our own PATH search, then execve.
  char found[core::kMaxPath];
  if (!core::find_in_path(file, core::text::env_value(environ, "PATH"), found, sizeof found)) {
    errno = ENOENT;
    return -1;
  }
  return call_real_execve(found, argv, envp);
}

}  // namespace agentguard::preload
