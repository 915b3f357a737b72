// terraform and tofu: global options, -chdir, nested subcommands and TF_CLI_ARGS* merging,
// following terraform's main.go (extractChdirOption, mergeEnvArgs) and mitchellh/cli.
#include <algorithm>
#include <optional>
#include <set>
#include <string_view>

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
  static constexpr std::string_view kNames[] = {
      "var", "var-file", "target", "replace", "exclude", "state", "state-out", "backup", "lock-timeout",
      "parallelism", "out", "generate-config-out", "backend-config", "plugin-dir", "from-module",
      "test-directory", "filter", "chdir", "lockfile", "platform", "fs-mirror", "net-mirror"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

bool is_help(const std::string& a) { return a == "-h" || a == "-help" || a == "--help"; }
bool is_version(const std::string& a) { return a == "-v" || a == "-version" || a == "--version"; }

// The subcommand mitchellh/cli would route to ("" for none) among args[from...], and the index of
// its first word.
std::string find_subcommand(const std::vector<std::string>& args, std::size_t from, std::size_t& index) {
  for (std::size_t i = from; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (is_help(arg) || is_version(arg)) continue;
    if (arg.empty() || arg[0] == '-') continue;
    index = i;
    // The longest known nested command among the following words (none containing a space): every
    // nested command is two words, so only the next word can extend it.
    const bool parent = arg == "state" || arg == "workspace" || arg == "env" || arg == "providers";
    if (parent && i + 1 < args.size() && args[i + 1].find(' ') == std::string::npos) {
      std::string candidate = arg + " " + args[i + 1];
      if (nested_commands().count(candidate)) return candidate;
    }
    return arg;
  }
  index = args.size();
  return "";
}

// The value of NAME=... in env where NAME is prefix + suffix (getenv semantics: the first entry wins).
std::optional<std::string_view> env_view(const std::vector<std::string>& env, std::string_view prefix,
                                         std::string_view suffix) {
  const std::size_t n = prefix.size() + suffix.size();
  for (const auto& entry : env) {
    if (entry.size() > n && entry[n] == '=' && entry.compare(0, prefix.size(), prefix) == 0 &&
        entry.compare(prefix.size(), suffix.size(), suffix) == 0)
      return std::string_view(entry).substr(n + 1);
  }
  return std::nullopt;
}

// Merges into args[from...]; notes: null when they are not kept.
void merge_env(std::string_view prefix, std::string_view suffix, const std::string& subcommand,
               std::vector<std::string>& args, std::size_t from, const std::vector<std::string>& env,
               std::vector<std::string>* notes) {
  auto value = env_view(env, prefix, suffix);
  if (!value || value->empty()) return;
  const auto env_name = [&] { return std::string(prefix) + std::string(suffix); };
  std::string error;
  auto extra = split_words(*value, &error);
  if (!error.empty() && notes) notes->push_back(env_name() + ": " + error + " (terraform would refuse to run)");
  std::string_view search = subcommand;
  if (auto space = search.rfind(' '); space != std::string_view::npos) search = search.substr(space + 1);
  std::size_t index = 0;  // in args[from...]
  for (std::size_t i = from; i < args.size(); ++i) {
    if (args[i] == search) {
      index = i - from + 1;
      break;
    }
  }
  args.insert(args.begin() + static_cast<long>(from + index), std::make_move_iterator(extra.begin()),
              std::make_move_iterator(extra.end()));
  if (notes)
    notes->push_back(env_name() + "=" + std::string(*value) + " inserted at position " + std::to_string(index + 1));
}

// merge_terraform_env_args on args[from...] in place.
void merge_env_args_in_place(std::vector<std::string>& args, std::size_t from, const std::vector<std::string>& env,
                             std::vector<std::string>* notes) {
  std::size_t index = 0;
  const std::string subcommand = find_subcommand(args, from, index);
  merge_env("TF_CLI_ARGS", "", subcommand, args, from, env, notes);
  std::string suffix = subcommand;
  std::replace(suffix.begin(), suffix.end(), '-', '_');
  std::replace(suffix.begin(), suffix.end(), ' ', '_');
  // Both merges use the subcommand of the original arguments, as main.go does.
  merge_env("TF_CLI_ARGS_", suffix, subcommand, args, from, env, notes);
}

}  // namespace

std::vector<std::string> merge_terraform_env_args(const std::vector<std::string>& args,
                                                  const std::vector<std::string>& env,
                                                  std::vector<std::string>& notes) {
  std::vector<std::string> merged = args;
  merge_env_args_in_place(merged, 0, env, &notes);
  return merged;
}

void parse_terraform(ParsedCommand& cmd) {
  std::vector<std::string>& argv = cmd.argv;
  cmd.flags.reserve(argv.size());
  // -chdir=DIR is only honoured before the first non-option word, and is removed before merging:
  // those options are moved right after argv[0] (in their order), the other arguments follow.
  std::size_t chdir_count = 0;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.empty() || arg[0] != '-') break;
    if (arg.starts_with("-chdir=") || arg.starts_with("--chdir=")) {
      std::string dir = arg.substr(arg.find('=') + 1);
      if (!dir.empty()) {
        cmd.cwd = join_dir(cmd.cwd, dir);
        cmd.note([&] { return "-chdir: acts on " + cmd.cwd; });
      }
      cmd.flags.push_back({"chdir", std::move(dir)});
      std::rotate(argv.begin() + static_cast<long>(1 + chdir_count), argv.begin() + static_cast<long>(i),
                  argv.begin() + static_cast<long>(i + 1));
      ++chdir_count;
    }
  }

  // The effective argv: argv[0], the -chdir options, then the arguments with TF_CLI_ARGS* merged.
  // (Without an argv[0] the merged arguments are all there is.)
  const std::size_t from = argv.empty() ? 0 : 1 + chdir_count;
  merge_env_args_in_place(argv, from, cmd.environment(), cmd.keep_notes ? &cmd.notes : nullptr);

  // Global options before the subcommand are flags too (-help, -version).
  std::size_t first = 1 + chdir_count;
  while (first < cmd.argv.size() && !cmd.argv[first].empty() && cmd.argv[first][0] == '-' &&
         cmd.argv[first] != "--") {
    cmd.flags.push_back({cmd.argv[first].substr(cmd.argv[first].rfind("--", 0) == 0 ? 2 : 1), std::nullopt});
    ++first;
  }
  OptionStyle style;
  style.takes_value = terraform_takes_value;
  parse_options(cmd, first, style);
}

}  // namespace agentguard::policy::detail
