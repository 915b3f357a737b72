#include "launcher.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/launch/guard_env.hpp"
#include "core/launch/identity.hpp"
#include "core/launch/path_search.hpp"
#include "core/protocol.hpp"

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

// The environment the gate is started with: the preload's own builder in gate mode, so `run` hands a
// watched agent over exactly as the preload hands over a watched launch (LD_PRELOAD travels as
// AGENTGUARD_CALLER_LD_PRELOAD, the guard's variables as the session set them).
std::vector<std::string> gate_environment(const std::vector<std::string>& env) {
  std::vector<const char*> envp;
  for (const auto& e : env) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  const core::GuardEnv guard = core::guard_env_view(envp.data());
  std::vector<const char*> slots(core::envp_slots_needed(envp.data()));
  std::vector<char> text(core::envp_text_needed(envp.data(), guard));
  const core::EnvpBuffers buffers{slots.data(), slots.size(), text.data(), text.size()};
  const char* const* result = nullptr;
  std::vector<std::string> out;
  if (core::build_guarded_envp(envp.data(), guard, core::EnvpMode::gate, buffers, &result) == core::EnvpStatus::no_room)
    return out;  // cannot happen: the sizes come from the builder itself
  for (const char* const* e = result; *e != nullptr; ++e) out.emplace_back(*e);
  return out;
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
  const std::string watch = session.vars.at(protocol::kEnvWatch);
  core::identify(found, raw_args.data(), watch.c_str(), id);

  std::vector<std::string> program_env = env;
  std::string program = found;
  if (id.watched || id.needs_supervision) {
    // The gate argv of core/protocol.hpp (a static agent, too, is run under the gate's supervisor).
    program = session.vars.at(protocol::kEnvGate);
    args.insert(args.begin(), {program, id.resolved_path});
    program_env = gate_environment(env);
    if (program_env.empty()) {
      std::fprintf(stderr, "agentguard: cannot hand %s to the gate: its environment could not be built\n", argv[0].c_str());
      return 126;
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
