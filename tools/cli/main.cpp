// agentguard: the command line. Each subcommand is registered by its own file (see commands.hpp).
#include <sys/prctl.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cmd_ui.hpp"
#include "core/protocol.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "cli/logging.hpp"

#ifndef AGENTGUARD_POLICY_SCHEMA
#define AGENTGUARD_POLICY_SCHEMA 1
#endif

int main(int argc, char** argv) {
  // The notifiers hold webhook secrets and approval codes, `run` the starting environment, `approve`
  // the code typed, `ui` its login link: no same-user process may read or trace any of them
  // (docs/threat-model.md, "No peeking"). What they exec is dumpable again.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  CLI::App app{"agentguard: stops AI agents from running destructive infrastructure commands"};
  app.require_subcommand(1);
  std::string log_level;
  app.add_option("--log-level", log_level, "Diagnostics level: trace, debug, info, warn (default), error, off")
      ->envname(agentguard::protocol::kEnvLogLevel);
  app.set_version_flag("--version",
                       std::string("agentguard ") + AGENTGUARD_VERSION + " (policy schema " +
                           std::to_string(AGENTGUARD_POLICY_SCHEMA) + ")");
  app.footer("Start here: agentguard run -- <your agent>   |   agentguard demo   |   agentguard <command> --help");
  app.parse_complete_callback([&] { agentguard::logging::init(log_level); });

  agentguard::cli::add_run_command(app);
  agentguard::cli::add_demo_command(app);
  agentguard::cli::add_policy_commands(app);
  agentguard::cli::add_audit_commands(app);
  agentguard::cli::add_notify_commands(app);
  agentguard::cli::add_approval_commands(app);
  agentguard::cli::add_env_commands(app);
  agentguard::cli::add_doctor_command(app);
  agentguard::cli::add_ui_command(app);

  // The command line of run/shell/explain is cut off first, so CLI11 never sees its words.
  const std::vector<std::string> words =
      agentguard::cli::cut_command_line(app, std::vector<std::string>(argv, argv + argc));
  std::vector<char*> ours;
  for (const auto& word : words) ours.push_back(const_cast<char*>(word.c_str()));
  try {
    app.parse(static_cast<int>(ours.size()), ours.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
