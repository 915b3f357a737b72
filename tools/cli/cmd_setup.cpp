// agentguard setup claude-code|codex|aider [--write]: the launch wrapper that starts the agent under
// `agentguard run`, and the agent's own settings that go with it:
//   claude-code  ~/.claude/settings.json "env": Bash tool timeouts longer than the hold, so a held
//                command comes back as "pending approval" instead of being killed;
//   codex        ~/.codex/config.toml: the shells keep the guard's variables, the state directory is
//                a writable root of the workspace-write sandbox (the gate writes the audit log and
//                approval requests there), and the wrapper holds for less than Codex's 10 s default;
//   aider        nothing: /run and the test and lint commands wait without a timeout.
// Without --write it prints everything and changes nothing. With --write it writes the wrapper and
// merges the settings; a setting that is already there with another value is left alone and named.
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <toml.hpp>

#include "cli_policy.hpp"
#include "commands.hpp"
#include "support/paths.hpp"
#include "gate/approval.hpp"

namespace agentguard::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Agent {
  std::string name;     // as given to `setup`
  std::string program;  // the command it is started with
  std::string title;
};

const std::vector<Agent>& agents() {
  static const std::vector<Agent> list = {
      {"claude-code", "claude", "Claude Code"}, {"codex", "codex", "Codex CLI"}, {"aider", "aider", "Aider"}};
  return list;
}

// Codex kills a command after 10 s unless the model asks for longer (codex-rs
// DEFAULT_EXEC_COMMAND_TIMEOUT_MS): its launches hold for less, so the model reads "pending approval".
constexpr int kCodexHoldSeconds = 8;

std::string single_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The hold in force for launches (the policy's [approval], then AGENTGUARD_APPROVAL_HOLD).
gate::HoldSettings holds() {
  const policy::Policy policy = load_policy_or_exit({});
  return gate::hold_settings(&policy);
}

std::string wrapper_text(const Agent& agent, const std::string& hold_env) {
  std::ostringstream o;
  o << "#!/bin/sh\n"
    << "# Written by `agentguard setup " << agent.name << "`: starts " << agent.title
    << " under agentguard, so every command it\n"
    << "# runs is guarded. Check it by asking the agent to run `agentguard doctor`.\n"
    << "exec " << hold_env << single_quoted(paths::cli_program().string()) << " run -- " << agent.program << " \"$@\"\n";
  return o.str();
}

struct Change {
  fs::path file;
  std::string text;      // the whole new file
  std::string shown;     // what to print for it
  std::vector<std::string> conflicts;  // settings already there with another value: not touched
};

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Claude Code: "env" in ~/.claude/settings.json (Claude Code sets these for every session).
Change claude_settings(const gate::HoldSettings& h) {
  Change c;
  c.file = fs::path(paths::home_dir()) / ".claude" / "settings.json";
  json settings = json::object();
  std::error_code ec;
  if (fs::exists(c.file, ec)) {
    settings = json::parse(read_file(c.file), nullptr, false);
    if (settings.is_discarded() || !settings.is_object())
      throw std::runtime_error(c.file.string() + " is not a JSON object; fix it first, nothing was changed");
  }
  // A held launch returns after hold_seconds (or, with hold = "wait", when the request closes): the
  // tool's timeout must be longer, with room for the plan terraform makes first.
  const std::int64_t held = h.mode == "wait" ? h.open_seconds : h.hold_seconds;
  const std::int64_t wanted_default = std::max<std::int64_t>(120, held + 60) * 1000;
  const std::int64_t wanted_max = std::max<std::int64_t>(600000, wanted_default);
  json& env = settings["env"];
  if (env.is_null()) env = json::object();
  if (!env.is_object()) throw std::runtime_error(c.file.string() + ": \"env\" is not an object; nothing was changed");
  using Setting = std::pair<const char*, std::int64_t>;
  for (const auto& [name, value] : {Setting{"BASH_DEFAULT_TIMEOUT_MS", wanted_default}, Setting{"BASH_MAX_TIMEOUT_MS", wanted_max}}) {
    if (env.contains(name)) {
      const std::string have = env[name].is_string() ? env[name].get<std::string>() : env[name].dump();
      const long long ms = std::atoll(have.c_str());
      if (ms < value)
        c.conflicts.push_back(std::string(name) + " is " + have + " ms in " + c.file.string() + "; the hold needs at least " +
                              std::to_string(value) + ": raise it, or lower [approval] hold_seconds");
      continue;
    }
    env[name] = std::to_string(value);  // Claude Code's env values are strings
  }
  c.text = settings.dump(2) + "\n";
  c.shown = json{{"env", {{"BASH_DEFAULT_TIMEOUT_MS", std::to_string(wanted_default)},
                          {"BASH_MAX_TIMEOUT_MS", std::to_string(wanted_max)}}}}.dump(2);
  return c;
}

// Codex: ~/.codex/config.toml (CODEX_HOME if set). Tables that are not there are appended as text,
// so the user's comments and layout stay; a key already set otherwise is reported, not changed.
Change codex_settings() {
  Change c;
  const char* codex_home = std::getenv("CODEX_HOME");
  c.file = (codex_home && *codex_home ? fs::path(codex_home) : fs::path(paths::home_dir()) / ".codex") / "config.toml";
  const std::string state = paths::state_dir().string();
  std::string text;
  toml::value config = toml::table{};
  std::error_code ec;
  if (fs::exists(c.file, ec)) {
    text = read_file(c.file);
    try {
      std::istringstream in(text);
      config = toml::parse(in, c.file.string());
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string(e.what()) + "\nfix " + c.file.string() + " first; nothing was changed");
    }
  }
  const std::string policy_table = "[shell_environment_policy]\n"
                                   "# The shells Codex starts keep LD_PRELOAD and AGENTGUARD_*: the guard.\n"
                                   "inherit = \"all\"\n";
  const std::string sandbox_table = "[sandbox_workspace_write]\n"
                                    "# The guard writes its audit log and approval requests here, from inside the sandbox.\n"
                                    "writable_roots = [" + json(state).dump() + "]\n";
  c.shown = policy_table + "\n" + sandbox_table;
  std::string append;
  const auto& table = config.as_table();
  if (auto it = table.find("shell_environment_policy"); it == table.end()) {
    append += "\n" + policy_table;
  } else if (!it->second.is_table() || !it->second.as_table().count("inherit") ||
             !it->second.as_table().at("inherit").is_string() || it->second.as_table().at("inherit").as_string().str != "all") {
    c.conflicts.push_back("[shell_environment_policy] in " + c.file.string() +
                          " must have inherit = \"all\" (and no exclude of LD_PRELOAD or AGENTGUARD_*)");
  }
  if (auto it = table.find("sandbox_workspace_write"); it == table.end()) {
    append += "\n" + sandbox_table;
  } else {
    bool listed = false;
    if (it->second.is_table() && it->second.as_table().count("writable_roots") &&
        it->second.as_table().at("writable_roots").is_array())
      for (const auto& root : it->second.as_table().at("writable_roots").as_array())
        listed = listed || (root.is_string() && root.as_string().str == state);
    if (!listed)
      c.conflicts.push_back("[sandbox_workspace_write] in " + c.file.string() + " must list " + json(state).dump() +
                            " in writable_roots");
  }
  c.text = text + (append.empty() || text.empty() || text.back() == '\n' ? "" : "\n") + append;
  return c;
}

void write_file(const fs::path& file, const std::string& text, fs::perms mode) {
  fs::create_directories(file.parent_path());
  const fs::path temp = file.string() + ".agentguard-new";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + temp.string());
  }
  fs::permissions(temp, mode);
  fs::rename(temp, file);
}

int setup(const Agent& agent, bool write, const std::string& bin_dir_option) {
  const fs::path bin_dir = bin_dir_option.empty() ? fs::path(paths::home_dir()) / ".local" / "bin" : fs::path(bin_dir_option);
  const fs::path wrapper = bin_dir / (agent.program + "-guarded");
  const gate::HoldSettings h = holds();
  const std::string hold_env = agent.name == "codex" ? "env AGENTGUARD_APPROVAL_HOLD=" + std::to_string(kCodexHoldSeconds) + " " : "";
  const std::string wrapper_body = wrapper_text(agent, hold_env);
  std::optional<Change> settings;
  if (agent.name == "claude-code") settings = claude_settings(h);
  if (agent.name == "codex") settings = codex_settings();

  std::cout << "# 1. The launch wrapper: " << wrapper.string() << "\n" << wrapper_body;
  if (settings) {
    std::cout << "\n# 2. " << agent.title << "'s settings: " << settings->file.string() << " (merged into what is there)\n"
              << settings->shown << "\n";
  } else {
    std::cout << "\n# 2. " << agent.title << "'s settings: none needed. /run and its test and lint commands wait\n"
              << "#    without a timeout, so a hold of " << h.hold_seconds << " s never cuts a command short.\n";
  }
  if (agent.name == "claude-code")
    std::cout << "#    A held command returns \"pending approval\" after " << h.hold_seconds
              << " s, inside the Bash tool's timeout.\n";
  if (agent.name == "codex")
    std::cout << "#    Codex stops a command after 10 s by default, so its launches hold for " << kCodexHoldSeconds
              << " s. Webhooks are sent\n#    from inside the sandbox, where network access is off unless you allow it;"
                 " they wait in the spool.\n";
  for (const auto& conflict : settings ? settings->conflicts : std::vector<std::string>{})
    std::cout << "#    NOT changed: " << conflict << "\n";

  if (!write) {
    std::cout << "\nNothing was written. `agentguard setup " << agent.name << " --write` writes it; then start the agent with: "
              << wrapper.filename().string() << "\n";
    return 0;
  }
  write_file(wrapper, wrapper_body, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
  std::cout << "\nwrote " << wrapper.string() << "\n";
  if (settings) {
    std::error_code ec;
    const bool existed = fs::exists(settings->file, ec);
    const fs::perms mode = existed ? fs::status(settings->file).permissions() : fs::perms::owner_read | fs::perms::owner_write;
    if (!existed || read_file(settings->file) != settings->text) {
      write_file(settings->file, settings->text, mode);
      std::cout << (existed ? "updated " : "wrote ") << settings->file.string() << "\n";
    } else {
      std::cout << settings->file.string() << " already has these settings\n";
    }
  }
  const char* path = std::getenv("PATH");
  if (!path || (":" + std::string(path) + ":").find(":" + bin_dir.string() + ":") == std::string::npos)
    std::cout << "note: " << bin_dir.string() << " is not on PATH; add it, or start " << wrapper.string() << " by its path\n";
  std::cout << "Start " << agent.title << " with: " << wrapper.filename().string() << "\n";
  return settings && !settings->conflicts.empty() ? 1 : 0;
}

}  // namespace

void add_setup_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("setup", "Print (or --write) the launch wrapper and agent settings for claude-code, codex or aider");
  auto name = std::make_shared<std::string>();
  auto write = std::make_shared<bool>(false);
  auto bin_dir = std::make_shared<std::string>();
  cmd->add_option("agent", *name, "claude-code, codex or aider")->required()->check(CLI::IsMember({"claude-code", "codex", "aider"}));
  cmd->add_flag("--write", *write, "Write the wrapper and merge the settings (without it, only print them)");
  cmd->add_option("--bin-dir", *bin_dir, "Where the wrapper goes (default ~/.local/bin)");
  cmd->footer(
      "The wrapper is <program>-guarded (claude-guarded, codex-guarded, aider-guarded): it runs\n"
      "`agentguard run -- <program>`. Settings already there are kept; one that conflicts is named and left\n"
      "alone (exit status 1). Examples:\n"
      "  agentguard setup claude-code            # print what would be written\n"
      "  agentguard setup claude-code --write && claude-guarded\n"
      "  agentguard setup codex --write --bin-dir ~/bin");
  cmd->callback([name, write, bin_dir] {
    for (const auto& agent : agents())
      if (agent.name == *name) {
        int status = 0;
        try {
          status = setup(agent, *write, *bin_dir);
        } catch (const std::exception& e) {
          std::cerr << "agentguard setup: " << e.what() << "\n";
          status = 2;
        }
        if (status != 0) throw CLI::RuntimeError(status);
      }
  });
}

}  // namespace agentguard::cli
