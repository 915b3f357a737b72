// fexecve: exec an open file. Identified through /proc/self/fd/N.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec_hook.hpp"
#include "files/fd_path.hpp"
#include "real_functions.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int fexecve(int fd, char* const argv[], char* const envp[]) noexcept {
  char fd_link[32];
  proc_fd_path(fd, fd_link, sizeof fd_link);
  return guarded_exec(fd_link, argv, envp, [&](char* const* env) {
    using Fn = int (*)(int, char* const*, char* const*);
    if (auto fn = real<Fn>(RealFn::fexecve)) return fn(fd, argv, env);
    return static_cast<int>(syscall(SYS_execveat, fd, "", argv, env, AT_EMPTY_PATH));
  });
}
