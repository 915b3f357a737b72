// terraform and tofu: global options, -chdir, nested subcommands and TF_CLI_ARGS* merging,
// following terraform's main.go (extractChdirOption, mergeEnvArgs) and mitchellh/cli.
#include <algorithm>
#include <set>

#include "dialects.hpp"
#include "shell_words.hpp"

namespace agentguard::policy::detail {
namespace {

// Commands with children: "state rm" is one subcommand to terraform's CLI router.
const std::set<std::string>& nested_commands() {
  static const std::set<std::string> names = {
      "state list", "state mv", "state pull", "state push", "state replace-provider", "state rm", "state show",
      "state identities", "workspace delete", "workspace list", "workspace new", "workspace select",
      "workspace show", "env delete", "env list", "env new", "env select", "providers lock", "providers mirror",
      "providers schema"};
  return names;
}

// Options that take their value from the next word when written without '=' (Go's flag package).
bool terraform_takes_value(const std::string& name) {
  static const std::set<std::string> names = {
      "var", "var-file", "target", "replace", "exclude", "state", "state-out", "backup", "lock-timeout",
      "parallelism", "out", "generate-config-out", "backend-config", "plugin-dir", "from-module",
      "test-directory", "filter", "chdir", "lockfile", "platform", "fs-mirror", "net-mirror"};
  return names.count(name) != 0;
}

bool is_help(const std::string& a) { return a == "-h" || a == "-help" || a == "--help"; }
bool is_version(const std::string& a) { return a == "-v" || a == "-version" || a == "--version"; }

// The subcommand mitchellh/cli would route to ("" for none) and the index of its first word.
std::string find_subcommand(const std::vector<std::string>& args, std::size_t& index) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (is_help(arg) || is_version(arg)) continue;
    if (arg.empty() || arg[0] == '-') continue;
    index = i;
    std::string key = arg;
    // Longest known nested command among the following words (none containing a space).
    std::string candidate = arg;
    for (std::size_t j = i + 1; j < args.size() && args[j].find(' ') == std::string::npos; ++j) {
      candidate += " " + args[j];
      if (nested_commands().count(candidate)) key = candidate;
    }
    return key;
  }
  index = args.size();
  return "";
}

std::vector<std::string> merge_env(const std::string& env_name, const std::string& subcommand,
                                   const std::vector<std::string>& args, const std::vector<std::string>& env,
                                   std::vector<std::string>& notes) {
  auto value = env_value(env, env_name);
  if (!value || value->empty()) return args;
  std::string error;
  auto extra = split_words(*value, &error);
  if (!error.empty()) notes.push_back(env_name + ": " + error + " (terraform would refuse to run)");
  std::string search = subcommand;
  if (auto space = search.rfind(' '); space != std::string::npos) search = search.substr(space + 1);
  std::size_t index = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == search) {
      index = i + 1;
      break;
    }
  }
  std::vector<std::string> merged(args.begin(), args.begin() + static_cast<long>(index));
  merged.insert(merged.end(), extra.begin(), extra.end());
  merged.insert(merged.end(), args.begin() + static_cast<long>(index), args.end());
  notes.push_back(env_name + "=" + *value + " inserted at position " + std::to_string(index + 1));
  return merged;
}

}  // namespace

std::vector<std::string> merge_terraform_env_args(const std::vector<std::string>& args,
                                                  const std::vector<std::string>& env,
                                                  std::vector<std::string>& notes) {
  std::size_t index = 0;
  std::string subcommand = find_subcommand(args, index);
  auto merged = merge_env("TF_CLI_ARGS", subcommand, args, env, notes);
  std::string suffix = subcommand;
  std::replace(suffix.begin(), suffix.end(), '-', '_');
  std::replace(suffix.begin(), suffix.end(), ' ', '_');
  // Both merges use the subcommand of the original arguments, as main.go does.
  return merge_env("TF_CLI_ARGS_" + suffix, subcommand, merged, env, notes);
}

void parse_terraform(ParsedCommand& cmd) {
  std::vector<std::string> args(cmd.argv.begin() + (cmd.argv.empty() ? 0 : 1), cmd.argv.end());

  // -chdir=DIR is only honoured before the first non-option word, and is removed before merging.
  std::vector<std::string> chdir_args;
  for (std::size_t i = 0; i < args.size();) {
    const std::string& arg = args[i];
    if (arg.empty() || arg[0] != '-') break;
    if (arg.rfind("-chdir=", 0) == 0 || arg.rfind("--chdir=", 0) == 0) {
      std::string dir = arg.substr(arg.find('=') + 1);
      if (!dir.empty()) {
        cmd.cwd = join_dir(cmd.cwd, dir);
        cmd.notes.push_back("-chdir: acts on " + cmd.cwd);
      }
      cmd.flags.push_back({"chdir", dir});
      chdir_args.push_back(arg);
      args.erase(args.begin() + static_cast<long>(i));
      continue;
    }
    ++i;
  }

  args = merge_terraform_env_args(args, cmd.env, cmd.notes);

  std::vector<std::string> effective;
  if (!cmd.argv.empty()) effective.push_back(cmd.argv[0]);
  effective.insert(effective.end(), chdir_args.begin(), chdir_args.end());
  effective.insert(effective.end(), args.begin(), args.end());
  cmd.argv = effective;

  // Global options before the subcommand are flags too (-help, -version).
  std::size_t first = 1 + chdir_args.size();
  while (first < cmd.argv.size() && !cmd.argv[first].empty() && cmd.argv[first][0] == '-' &&
         cmd.argv[first] != "--") {
    std::string name = cmd.argv[first].substr(cmd.argv[first].rfind("--", 0) == 0 ? 2 : 1);
    cmd.flags.push_back({name, std::nullopt});
    ++first;
  }
  OptionStyle style;
  style.takes_value = terraform_takes_value;
  std::size_t saved = cmd.flags.size();
  parse_options(cmd, first, style);
  (void)saved;
}

}  // namespace agentguard::policy::detail
