#include "support/decided_exec.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "core/base/syscalls.hpp"
#include "core/protocol.hpp"

namespace agentguard::support {

ExecToken exec_token_from_environment() {
  ExecToken out;
  out.present = core::parse_strict_token(std::getenv(protocol::kEnvStrict), out.token);
  return out;
}

void execve_decided(const ExecToken& token, const char* path, char* const* argv, char* const* envp) {
#ifdef AGENTGUARD_EXEC_TOKEN
  if (token.present) {
    const long rc = core::sys::execve_with_token(path, argv, envp, token.token.word[0], token.token.word[1]);
    errno = static_cast<int>(-rc);
    return;
  }
#else
  (void)token;
#endif
  execve(path, argv, envp);
}

namespace {

// The forked child's half of spawn_decided: posix_spawn's work by hand, then the exec. Never
// returns.
[[noreturn]] void set_up_and_exec(const ExecToken& token, const char* path, char* const* argv, char* const* envp,
                                  const ChildSetup& setup) {
  if (setup.default_interrupt_signals) {
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
  }
  if (setup.new_process_group) setpgid(0, 0);
  if (setup.stdin_from_dev_null) {
    const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0) _exit(127);
  }
  for (int i = 0; i < setup.dup_count; ++i) {
    const auto& d = setup.dups[i];
    if (d.from == d.to ? fcntl(d.to, F_SETFD, 0) < 0 : dup2(d.from, d.to) < 0) _exit(127);
  }
  if (setup.cwd != nullptr && chdir(setup.cwd) != 0) _exit(127);
  execve_decided(token, path, argv, envp);
  static const char failed[] = "cannot execute the program\n";
  (void)!write(2, failed, sizeof failed - 1);
  _exit(127);
}

}  // namespace

int spawn_decided(pid_t& pid, const char* path, char* const* argv, char* const* envp, const ChildSetup& setup) {
  const ExecToken token = exec_token_from_environment();
  if (token.present) {
    pid = fork();
    if (pid == 0) set_up_and_exec(token, path, argv, envp, setup);
    return pid < 0 ? errno : 0;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  short flags = 0;
  if (setup.default_interrupt_signals) {
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGQUIT);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    flags |= POSIX_SPAWN_SETSIGDEF;
  }
  if (setup.new_process_group) {
    posix_spawnattr_setpgroup(&attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attr, flags);
  if (setup.stdin_from_dev_null) posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // glibc clears close-on-exec for a dup2 onto itself, as the fork path does.
  for (int i = 0; i < setup.dup_count; ++i) posix_spawn_file_actions_adddup2(&actions, setup.dups[i].from, setup.dups[i].to);
  if (setup.cwd != nullptr) posix_spawn_file_actions_addchdir_np(&actions, setup.cwd);
  const int rc = posix_spawn(&pid, path, &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

}  // namespace agentguard::support
