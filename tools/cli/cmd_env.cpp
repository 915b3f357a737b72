// `agentguard env` and `agentguard shell`: the guard for launch scripts that set up the environment
// themselves, and a guarded interactive shell for a person (or to try things by hand).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "agentguard/policy.hpp"
#include "agentguard/shell_quote.hpp"
#include "core/protocol.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "launcher.hpp"
#include "session.hpp"
#include "session_guard.hpp"
#include "session_proxy.hpp"

namespace agentguard::cli {

namespace {

void add_session_options(CLI::App* cmd, SessionOptions& options) {
  cmd->add_option("--policy", options.policy_files, "Policy file layered above the default, system and user policies (repeatable)");
  cmd->add_option("--state-dir", options.state_dir, "Where the audit log and the notification spool live")
      ->envname(protocol::kEnvStateDir);
  cmd->add_flag("--default-only", options.builtin_only, "Use only the built-in default policy");
}

Session open_session(const SessionOptions& options) {
  try {
    return prepare_session(options);
  } catch (const policy::PolicyError& e) {
    std::fprintf(stderr, "agentguard: the policy is broken, so the guard was not started.\n%s\n"
                         "Fix it, then check with `agentguard policy check`.\n",
                 e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "agentguard: cannot start a guarded session: %s\n", e.what());
  }
  throw CLI::RuntimeError(2);
}

}  // namespace

void add_env_commands(CLI::App& app) {
  auto options = std::make_shared<SessionOptions>();
  auto* env_cmd = app.add_subcommand("env", "Print the export lines that guard every program started afterwards");
  add_session_options(env_cmd, *options);
  env_cmd->footer(
      "Examples:\n"
      "  eval \"$(agentguard env)\" && exec my-agent     # in a launch script\n"
      "  agentguard env --policy team.toml > guard.env\n"
      "The shell that evaluates these lines is not itself guarded, only what it starts: launch the agent\n"
      "after them. `agentguard doctor`, run from the agent's shell, shows whether the guard is live.");
  env_cmd->callback([options] {
    const Session session = open_session(*options);
    for (const auto& [name, value] : session.vars) std::printf("export %s=%s\n", name.c_str(), policy::shell_quote(value).c_str());
    // The webhook variables (and the ones holding their secrets) stay with this launch script: the
    // session record has them, the agent gets none (as under `agentguard run`).
    std::vector<std::string> drop = channel_variables();
    drop.insert(drop.end(), session.secret_vars.begin(), session.secret_vars.end());
    for (const auto& name : drop)
      if (std::getenv(name.c_str()) != nullptr) std::printf("unset %s\n", name.c_str());
  });

  auto shell_options = std::make_shared<SessionOptions>();
  auto* shell = app.add_subcommand("shell", "Open a guarded interactive shell; its prompt shows it is guarded");
  add_session_options(shell, *shell_options);
  auto shell_args = takes_command_line(shell);
  shell->footer("Usage: agentguard shell [OPTIONS] [-- SHELL-ARGS...]   (words after -- go to the shell, untouched)\n"
                "Example:\n  agentguard shell\n  (agentguard) $ terraform destroy    # refused\n  (agentguard) $ agentguard doctor    # all checks pass");
  shell->callback([shell_options, shell_args] {
    Session session = open_session(*shell_options);
    std::string sh = std::getenv("SHELL") ? std::getenv("SHELL") : "/bin/bash";
    std::vector<std::string> argv{sh, "-i"};
    std::vector<std::string> env = guarded_environment(session, current_environment());
    const std::string prompt = "(agentguard) ";
    if (std::filesystem::path(sh).filename() == "bash") {
      // bash reads ~/.bashrc after the environment, so the prompt is set from an rc file of ours.
      const auto rc = std::filesystem::path(session.vars.at(protocol::kEnvStateDir)) / "guarded-bashrc";
      std::ofstream(rc) << "[ -f ~/.bashrc ] && . ~/.bashrc\nPS1='" << prompt << "'\"${PS1:-\\\\$ }\"\n";
      argv = {sh, "--rcfile", rc.string(), "-i"};
    } else {
      const char* ps1 = std::getenv("PS1");
      env.push_back("PS1=" + prompt + (ps1 ? ps1 : "$ "));
    }
    argv.insert(argv.end(), shell_args->words.begin(), shell_args->words.end());
    std::fprintf(stderr, "agentguard: guarded shell (session %s); `exit` to leave.\n", session.id.c_str());
    SessionProxy proxy = start_session_proxy(session);
    env = guarded_environment(session, env);
    const int status = run_supervised(session, argv, env);
    stop_session_proxy(proxy);
    throw CLI::RuntimeError(status);
  });
}

}  // namespace agentguard::cli
