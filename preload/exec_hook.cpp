#include "exec_hook.hpp"
#include "core/base/hot_path.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include "core/base/syscalls.hpp"
#include "core/base/text.hpp"
#include "core/launch/path_search.hpp"
#include "core/launch/strict_token.hpp"
#include "guard_state.hpp"
#include "real_functions.hpp"

namespace agentguard::preload {

AGENTGUARD_HOT int call_real_execve(const char* path, char* const* argv, char* const* envp) {
#ifdef AGENTGUARD_EXEC_TOKEN
  // Strict session: this exec is decided, so it carries the token past the session's filter
  // (core/launch/strict_token.hpp). Without a token: libc's execve, which the filter hands to the supervisor.
  core::StrictToken token;
  if (core::parse_strict_token(current_guard().value(core::kVarStrict), token)) {
    const long rc = core::sys::execve_with_token(path, argv, envp, token.word[0], token.word[1]);
    errno = static_cast<int>(-rc);
    return -1;
  }
#endif
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
