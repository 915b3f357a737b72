#include "subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/launch/path_search.hpp"
#include "support/decided_exec.hpp"

extern char** environ;

namespace agentguard::subprocess {

namespace {

void close_pair(int p[2]) {
  if (p[0] >= 0) close(p[0]);
  if (p[1] >= 0) close(p[1]);
}

// posix_spawn cannot put a strict session's token in the exec's registers (support/decided_exec.hpp),
// so with a token the child is forked and execs itself: posix_spawn's file actions by hand, and only
// async-signal-safe calls after fork() (the CLI may have threads). Returns the pid, or -1.
pid_t fork_and_exec(const support::ExecToken& token, const char* path, char* const* argv, char* const* envp,
                    int out_fd, int err_fd, const char* cwd, bool new_process_group) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(127);
  if (cwd != nullptr && chdir(cwd) != 0) _exit(127);
  if (new_process_group) setpgid(0, 0);
  support::execve_decided(token, path, argv, envp);
  static const char failed[] = "cannot execute the program\n";
  (void)!write(2, failed, sizeof failed - 1);
  _exit(127);
}

}  // namespace

Result run(const std::vector<std::string>& argv, const Options& options) {
  Result result;
  if (argv.empty()) return result;
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    close_pair(out_pipe);
    close_pair(err_pipe);
    result.err = std::string("pipe: ") + std::strerror(errno);
    return result;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envs;
  for (const auto& e : options.env) envs.push_back(const_cast<char*>(e.c_str()));
  envs.push_back(nullptr);
  char** envp = options.inherit_env && options.env.empty() ? environ : envs.data();

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (options.new_process_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  pid_t pid = -1;
  int rc = 0;
  const support::ExecToken token = support::exec_token_from_environment();
  if (token.present) {
    // As posix_spawnp would: a bare name is searched on this process's PATH.
    char found[4096];
    const char* path = argv[0].c_str();
    const char* path_env = std::getenv("PATH");
    if (argv[0].find('/') == std::string::npos)
      path = core::find_in_path(argv[0].c_str(), path_env ? path_env : "/usr/bin:/bin", found, sizeof found) ? found : nullptr;
    if (path == nullptr) {
      rc = ENOENT;
    } else {
      pid = fork_and_exec(token, path, args.data(), envp, out_pipe[1], err_pipe[1],
                          options.cwd.empty() ? nullptr : options.cwd.c_str(), options.new_process_group);
      if (pid < 0) rc = errno;
    }
  } else {
    rc = argv[0].find('/') == std::string::npos
             ? posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), envp)
             : posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), envp);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  const auto kill_child = [&] { kill(options.new_process_group ? -pid : pid, SIGKILL); };
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.err = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return result;
  }

  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_streams = 2;
  char buf[65536];
  while (open_streams > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill_child();
      break;
    }
    const int n = poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        if (sinks[i]->size() < options.max_output) sinks[i]->append(buf, static_cast<std::size_t>(got));
        else if (i == 0) result.truncated = true;  // stderr past the bound is only cut; stdout is the answer
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_streams;
      }
    }
    if (result.truncated) {
      kill_child();
      break;
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);

  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  return result;
}

}  // namespace agentguard::subprocess
