// agentguard: the command line. Each subcommand is registered by its own file (see commands.hpp).
#include <sys/prctl.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli_output.hpp"
#include "cmd_ui.hpp"
#include "core/protocol.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "cli/logging.hpp"

#ifndef AGENTGUARD_POLICY_SCHEMA
#define AGENTGUARD_POLICY_SCHEMA 1
#endif

namespace {

// The first word that names a command (skipping agentguard's own options and their values), or "".
std::string command_word(CLI::App& app, const std::vector<std::string>& words) {
  for (std::size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--") return "";
    if (w.size() > 1 && w[0] == '-') {
      const CLI::Option* option = app.get_option_no_throw(w);
      if (w.find('=') == std::string::npos && option && option->get_items_expected_max() > 0) ++i;
      continue;
    }
    return w;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  // The notifiers hold webhook secrets and approval codes, `run` the starting environment, `approve`
  // the code typed, `ui` its login link: no same-user process may read or trace any of them
  // (docs/threat-model.md, "No peeking"). What they exec is dumpable again.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  CLI::App app{"agentguard: stops AI agents from running destructive infrastructure commands"};
  app.name("agentguard");
  app.require_subcommand(0, 1);
  std::string log_level;
  app.add_option("--log-level", log_level, "Diagnostics level: trace, debug, info, warn (default), error, off")
      ->envname(agentguard::protocol::kEnvLogLevel);
  std::string color = "auto";
  app.add_option("--color", color, "Colour: auto (on a terminal, unless NO_COLOR is set), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  app.set_version_flag("--version",
                       std::string("agentguard ") + AGENTGUARD_VERSION + " (policy schema " +
                           std::to_string(AGENTGUARD_POLICY_SCHEMA) + ")");
  app.footer("Start here: agentguard run -- <your agent>   |   agentguard demo   |   agentguard <command> --help\n"
             "Colour follows --color, NO_COLOR and whether the output is a terminal. Reference: man agentguard");
  app.parse_complete_callback([&] {
    agentguard::cli::output::set_color_mode(color);
    agentguard::logging::init(log_level);
  });

  agentguard::cli::add_run_command(app);
  agentguard::cli::add_demo_command(app);
  agentguard::cli::add_setup_command(app);
  agentguard::cli::add_policy_commands(app);
  agentguard::cli::add_audit_commands(app);
  agentguard::cli::add_notify_commands(app);
  agentguard::cli::add_approval_commands(app);
  agentguard::cli::add_env_commands(app);
  agentguard::cli::add_doctor_command(app);
  agentguard::cli::add_ui_command(app);
  agentguard::cli::add_completions_command(app);
  auto* help = app.add_subcommand("help", "Print this help (or a command's: agentguard help COMMAND)");
  std::vector<std::string> help_topic;
  help->add_option("command", help_topic, "The command to describe, e.g. `policy explain`");

  // The command line of run/shell/explain is cut off first, so CLI11 never sees its words.
  const std::vector<std::string> words =
      agentguard::cli::cut_command_line(app, std::vector<std::string>(argv, argv + argc));
  // A word that is not a command is named as such (CLI11 would only say it was "not expected").
  if (const std::string first = command_word(app, words); !first.empty()) {
    bool known = false;
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) known = known || sub->check_name(first);
    if (!known) {
      std::fprintf(stderr, "agentguard: unknown command '%s'. Run `agentguard help` for the list of commands.\n",
                   first.c_str());
      return 2;
    }
  }
  std::vector<char*> ours;
  for (const auto& word : words) ours.push_back(const_cast<char*>(word.c_str()));
  try {
    app.parse(static_cast<int>(ours.size()), ours.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  // Bare `agentguard` and `agentguard help [COMMAND]`: the help, on stdout, status 0.
  if (app.get_subcommands().empty() || help->parsed()) {
    CLI::App* topic = &app;
    std::string usage_name = "agentguard";
    for (const auto& name : help_topic) {
      CLI::App* next = nullptr;
      for (CLI::App* sub : topic->get_subcommands([](CLI::App*) { return true; }))
        if (sub->check_name(name)) next = sub;
      if (!next) {
        std::fprintf(stderr, "agentguard: no command '%s' to describe. Run `agentguard help`.\n", name.c_str());
        return 2;
      }
      topic = next;
      usage_name += " " + next->get_name();
    }
    // The formatter directly: App::help() would describe the `help` command itself once it was parsed.
    std::cout << topic->get_formatter()->make_help(topic, usage_name, CLI::AppFormatMode::Normal);
    return 0;
  }
  return 0;
}
