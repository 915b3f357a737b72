#include "subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envs;
  for (const auto& e : options.env) envs.push_back(const_cast<char*>(e.c_str()));
  envs.push_back(nullptr);
  char** envp = options.inherit_env && options.env.empty() ? environ : envs.data();

  support::ChildSetup setup;
  setup.stdin_from_dev_null = true;
  setup.dup(out_pipe[1], 1).dup(err_pipe[1], 2);
  setup.cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
  setup.new_process_group = options.new_process_group;
  // As posix_spawnp would: a bare name is searched on this process's PATH.
  char found[4096];
  const char* path = argv[0].c_str();
  const char* path_env = std::getenv("PATH");
  if (argv[0].find('/') == std::string::npos)
    path = core::find_in_path(argv[0].c_str(), path_env ? path_env : "/usr/bin:/bin", found, sizeof found) ? found : nullptr;
  pid_t pid = -1;
  const int rc = path == nullptr ? ENOENT : support::spawn_decided(pid, path, args.data(), envp, setup);
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
