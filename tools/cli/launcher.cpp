#include "launcher.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/identity.hpp"
#include "core/path_search.hpp"

namespace agentguard::cli {

namespace {

volatile sig_atomic_t g_child = 0;

void forward_signal(int sig) {
  if (g_child > 0) kill(static_cast<pid_t>(g_child), sig);
}

std::string lookup(const std::vector<std::string>& env, const std::string& name) {
  const std::string prefix = name + "=";
  for (const auto& e : env)
    if (e.compare(0, prefix.size(), prefix) == 0) return e.substr(prefix.size());
  return {};
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

int exec_guarded(const Session& session, const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  if (argv.empty()) {
    std::fprintf(stderr, "agentguard: no command given (usage: agentguard run -- CMD ARGS...)\n");
    return 127;
  }
  char found[core::kMaxPath];
  const std::string path_env = lookup(env, "PATH");
  if (!core::find_in_path(argv[0].c_str(), path_env.empty() ? nullptr : path_env.c_str(), found, sizeof found)) {
    std::fprintf(stderr, "agentguard: %s: command not found\n", argv[0].c_str());
    return 127;
  }

  std::vector<std::string> args = argv;
  std::vector<const char*> raw_args;
  for (const auto& a : args) raw_args.push_back(a.c_str());
  raw_args.push_back(nullptr);

  core::Identity id;
  const std::string watch = session.vars.at("AGENTGUARD_WATCH");
  core::identify(found, raw_args.data(), watch.c_str(), id);

  std::vector<std::string> program_env = env;
  std::string program = found;
  const bool strict = session.vars.count("AGENTGUARD_STRICT") != 0;
  if (id.watched || id.needs_supervision || strict) {
    // Same hand-over as the preload (a static agent, too, is run under the gate's supervisor): the gate runs unhooked and gets the preload list to restore.
    // Strict mode: the gate puts the whole session under its supervisor and then decides the agent's own launch.
    program = session.vars.at("AGENTGUARD_GATE");
    args.insert(args.begin(), {program, id.resolved_path});
    if (strict) args.insert(args.begin() + 1, "--strict-session");
    program_env.clear();
    for (const auto& e : env) {
      if (e.compare(0, 11, "LD_PRELOAD=") == 0) program_env.push_back("AGENTGUARD_CALLER_LD_PRELOAD=" + e.substr(11));
      else program_env.push_back(e);
    }
  }
  auto argv_ptrs = pointers(args);
  auto env_ptrs = pointers(program_env);
  execve(program.c_str(), argv_ptrs.data(), env_ptrs.data());
  const int err = errno;
  std::fprintf(stderr, "agentguard: cannot run %s: %s\n", program.c_str(), std::strerror(err));
  return err == ENOENT ? 127 : 126;
}

int run_supervised(const Session& session, const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "agentguard: cannot start %s: %s\n", argv.empty() ? "" : argv[0].c_str(), std::strerror(errno));
    return 126;
  }
  if (child == 0) _exit(exec_guarded(session, argv, env));

  g_child = child;
  struct sigaction forward {};
  forward.sa_handler = forward_signal;
  sigemptyset(&forward.sa_mask);
  sigaction(SIGTERM, &forward, nullptr);
  sigaction(SIGHUP, &forward, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, nullptr);
  sigaction(SIGQUIT, &ignore, nullptr);

  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return 126;
  }
  g_child = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 126;
}

}  // namespace agentguard::cli
