// execveat: exec relative to a directory fd, or an fd itself with AT_EMPTY_PATH.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/launch/identity.hpp"
#include "exec_hook.hpp"
#include "files/fd_path.hpp"
#include "real_functions.hpp"

using namespace agentguard::preload;

AGENTGUARD_HOOK int execveat(int dirfd, const char* path, char* const argv[], char* const envp[],
                             int flags) noexcept {
  char examine_buffer[agentguard::core::kMaxPath];
  const char* examine = execveat_path(dirfd, path, flags, examine_buffer, sizeof examine_buffer);
  return guarded_exec(examine, argv, envp, [&](char* const* env) {
    using Fn = int (*)(int, const char*, char* const*, char* const*, int);
    if (auto fn = real<Fn>(RealFn::execveat)) return fn(dirfd, path, argv, env, flags);
    return static_cast<int>(syscall(SYS_execveat, dirfd, path, argv, env, flags));
  });
}
