#include "support/detached_spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "support/decided_exec.hpp"

extern char** environ;

namespace agentguard::support {

bool spawn_detached(const DetachedSpawn& spawn) {
  if (spawn.argv.empty()) return false;
  // Everything the child needs is prepared before fork(): after it only async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : spawn.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (spawn.env) {
    for (const auto& e : *spawn.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  char* const* env = spawn.env ? envp.data() : environ;
  const ExecToken token = exec_token_from_environment();

  // A socket pair, not a pipe: if the helper dies before reading, send() fails with EPIPE instead
  // of raising SIGPIPE in our caller.
  int fds[2] = {-1, -1};
  if (!spawn.input.empty() && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return false;
  const pid_t middle = fork();
  if (middle < 0) {
    if (fds[0] >= 0) {
      close(fds[0]);
      close(fds[1]);
    }
    return false;
  }
  if (middle == 0) {
    if (fork() != 0) _exit(0);  // the middle process exits; the grandchild is adopted by init
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(fds[0] >= 0 ? fds[0] : null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    close_range(3, ~0U, 0);
    if (chdir("/") != 0) _exit(127);
    execve_decided(token, argv[0], argv.data(), env);
    _exit(127);
  }
  if (fds[0] >= 0) {
    close(fds[0]);
    std::size_t off = 0;
    while (off < spawn.input.size()) {
      const ssize_t n = send(fds[1], spawn.input.data() + off, spawn.input.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    close(fds[1]);
  }
  while (waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
  }
  return true;
}

}  // namespace agentguard::support
