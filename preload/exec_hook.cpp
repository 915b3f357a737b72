#include "exec_hook.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include "core/launch/path_search.hpp"
#include "core/base/text.hpp"
#include "real_functions.hpp"

namespace agentguard::preload {

int call_real_execve(const char* path, char* const* argv, char* const* envp) {
  using Fn = int (*)(const char*, char* const*, char* const*);
  if (auto fn = real<Fn>(RealFn::execve)) return fn(path, argv, envp);
  return static_cast<int>(syscall(SYS_execve, path, argv, envp));
}

const char* search_path(const char* file, char* out) {
  const char* path_env = core::text::env_value(environ, "PATH");
  if (core::find_in_path(file, path_env, out, core::kMaxPath)) return out;
  return file;
}

}  // namespace agentguard::preload
