// terraform and tofu: the command terraform 1.11 really runs, routed step by step as its main.go and
// hashicorp/cli v1.1.7 route it:
//  1. extractChdirOption: among the leading '-' arguments, the last `-chdir=DIR` is taken out;
//  2. cli.Subcommand() of what is left: empty arguments and flags are skipped, the first other word
//     starts the (possibly nested) subcommand;
//  3. mergeEnvArgs: TF_CLI_ARGS, then TF_CLI_ARGS_<subcommand>, split by go-shellwords v1.0.12, are
//     inserted right after the first argument equal to the subcommand's last word (at the front when
//     there is none);
//  4. a -v/-version/--version anywhere makes the command `version`;
//  5. cli routes again: a help flag anywhere before `--` prints help, flags before the subcommand are
//     an error, otherwise the subcommand runs with the arguments after it.
// The effective argv handed on is the normalised form of what runs: argv[0], -chdir=DIR, the
// subcommand's words, its arguments (and, when terraform refuses to run, what makes it refuse).
#include <algorithm>
#include <optional>
#include <span>
#include <string_view>

#include "dialects.hpp"
#include "go_shellwords.hpp"
#include "resolver.hpp"
#include "terraform/options.hpp"

namespace agentguard::policy::detail {
namespace {

// Terraform 1.11's command table (commands.go; release builds have no experimental commands).
constexpr std::string_view kCommands[] = {
    "apply", "console", "destroy", "env", "env delete", "env list", "env new", "env select", "fmt",
    "force-unlock", "get", "graph", "import", "init", "login", "logout", "metadata", "metadata functions",
    "modules", "output", "plan", "providers", "providers lock", "providers mirror", "providers schema", "push",
    "refresh", "show", "state", "state list", "state mv", "state pull", "state push", "state replace-provider",
    "state rm", "state show", "taint", "test", "untaint", "validate", "version", "workspace", "workspace delete",
    "workspace list", "workspace new", "workspace select", "workspace show"};

bool is_command(std::string_view name) {
  return std::find(std::begin(kCommands), std::end(kCommands), name) != std::end(kCommands);
}
bool is_parent_command(std::string_view name) {
  return name == "env" || name == "metadata" || name == "providers" || name == "state" || name == "workspace";
}


bool is_help(std::string_view a) { return a == "-h" || a == "-help" || a == "--help"; }
bool is_version(std::string_view a) { return a == "-v" || a == "-version" || a == "--version"; }
bool is_autocomplete(std::string_view a) {
  return a == "-install-autocomplete" || a == "--install-autocomplete" || a == "-uninstall-autocomplete" ||
         a == "--uninstall-autocomplete";
}

// hashicorp/cli's processArgs over args.
struct CliRoute {
  std::string subcommand;           // "" when none
  std::size_t args_from = 0;        // the subcommand's arguments are args[args_from...]
  bool help = false;                // a help flag before `--`: help is printed, nothing runs
  bool autocomplete = false;        // -install-autocomplete etc.: nothing else runs
  std::vector<std::string> top_flags;  // flags before the subcommand: an error, nothing runs
};

CliRoute cli_route(std::span<const std::string> args) {
  CliRoute route;
  route.args_from = args.size();
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (is_help(arg)) {
      route.help = true;
      continue;
    }
    if (is_autocomplete(arg)) {
      route.autocomplete = true;
      continue;
    }
    if (!route.subcommand.empty()) continue;
    if (is_version(arg)) continue;  // main.go has already turned it into `version`
    if (!arg.empty() && arg[0] == '-') {
      route.top_flags.push_back(arg);
      continue;
    }
    if (arg.empty()) continue;  // an empty argument is never a subcommand
    if (arg.find(' ') != std::string::npos) {
      route.subcommand.clear();  // cli gives up: an invalid command, help is printed
      route.args_from = args.size();
      return route;
    }
    route.subcommand = arg;
    // The words up to the first flag, empty word or word with a space, joined with spaces, and the
    // longest command that is a prefix of them and is followed by a space or the end somewhere in
    // them (cli's unanchored `regexp(k + "( |$)")` check).
    std::size_t j = i;
    while (j < args.size() && !args[j].empty() && args[j][0] != '-' && args[j].find(' ') == std::string::npos) ++j;
    std::string key;
    for (std::size_t k = i; k < j; ++k) key += (k == i ? "" : " ") + args[k];
    std::string_view longest;
    for (std::string_view c : kCommands)
      if (key.starts_with(c) && c.size() > longest.size()) longest = c;
    std::size_t skip = 0;
    if (!longest.empty()) {
      bool verified = false;
      for (std::size_t at = key.find(longest); at != std::string::npos && !verified; at = key.find(longest, at + 1)) {
        const std::size_t end = at + longest.size();
        verified = end == key.size() || key[end] == ' ';
      }
      if (verified) {
        route.subcommand = std::string(longest);
        skip = static_cast<std::size_t>(std::count(longest.begin(), longest.end(), ' '));
      }
    }
    route.args_from = i + 1 + skip;
  }
  return route;
}

// The value of NAME in env where NAME is prefix + suffix (Go's os.Getenv: the first entry wins).
std::optional<std::string_view> env_view(const std::vector<std::string>& env, std::string_view prefix,
                                         std::string_view suffix) {
  const std::size_t n = prefix.size() + suffix.size();
  for (const auto& entry : env) {
    if (entry.size() > n && entry[n] == '=' && entry.compare(0, prefix.size(), prefix) == 0 &&
        entry.compare(prefix.size(), suffix.size(), suffix) == 0)
      return std::string_view(entry).substr(n + 1);  // may be empty: terraform then skips it
  }
  return std::nullopt;
}

// mergeEnvArgs(prefix+suffix, subcommand, args) on args[from...]. A value go-shellwords rejects
// makes terraform refuse to run; the guard refuses too rather than guess.
void merge_env(std::string_view prefix, std::string_view suffix, const std::string& subcommand,
               std::vector<std::string>& args, std::size_t from, const std::vector<std::string>& env,
               std::vector<std::string>* notes) {
  auto value = env_view(env, prefix, suffix);
  if (!value || value->empty()) return;
  const std::string name = std::string(prefix) + std::string(suffix);
  GoShellwordsResult split = go_shellwords_parse(*value);
  if (!split.error.empty())
    throw UnresolvableLaunch(name + " cannot be split into arguments (" + split.error +
                             "); terraform itself would refuse to run");
  std::string_view search = subcommand;
  if (auto space = search.rfind(' '); space != std::string_view::npos) search = search.substr(space + 1);
  std::size_t index = 0;  // in args[from...]
  for (std::size_t i = from; i < args.size(); ++i) {
    if (args[i] == search) {
      index = i - from + 1;
      break;
    }
  }
  const std::size_t count = split.words.size();
  args.insert(args.begin() + static_cast<long>(from + index), std::make_move_iterator(split.words.begin()),
              std::make_move_iterator(split.words.end()));
  if (notes) {
    notes->push_back(name + "=" + std::string(*value) + ": " + std::to_string(count) + " argument(s) inserted at position " +
                     std::to_string(index + 1));
    if (split.stopped) notes->push_back(name + ": terraform ignores everything from the first unquoted ; & | < >");
  }
}

// Both merges, keyed by the subcommand of the arguments before merging, as main.go does.
void merge_env_args_in_place(std::vector<std::string>& args, std::size_t from, const std::vector<std::string>& env,
                             std::vector<std::string>* notes) {
  // Keyed by the arguments before merging: the route is taken before either insert.
  const std::span<const std::string> before(args.data() + from, args.size() - from);
  const CliRoute route = cli_route(before);
  const std::string child = is_parent_command(route.subcommand) && route.args_from < before.size()
                                ? before[route.args_from] : std::string();
  const std::string& subcommand = route.subcommand;
  // A nested command this table does not know (a newer terraform or tofu, e.g. `state identities`)
  // would read TF_CLI_ARGS_<parent>_<child>: if that is set the guard cannot tell where it goes.
  if (!child.empty()) {
    if (child[0] != '-' && !is_command(subcommand + " " + child)) {
      std::string suffix = subcommand + "_" + child;
      std::replace(suffix.begin(), suffix.end(), '-', '_');
      auto value = env_view(env, "TF_CLI_ARGS_", suffix);
      if (value && !value->empty())
        throw UnresolvableLaunch("TF_CLI_ARGS_" + suffix + " is set for `" + subcommand + " " + child +
                                 "`, a command this guard does not know");
    }
  }
  merge_env("TF_CLI_ARGS", "", subcommand, args, from, env, notes);
  std::string suffix = subcommand;
  std::replace(suffix.begin(), suffix.end(), '-', '_');
  std::replace(suffix.begin(), suffix.end(), ' ', '_');
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
  std::vector<std::string> args;
  if (cmd.argv.size() > 1) args.assign(cmd.argv.begin() + 1, cmd.argv.end());
  const std::string argv0 = cmd.argv.empty() ? cmd.program : cmd.argv[0];

  // 1. extractChdirOption: only `-chdir=` (not `--chdir=`), the last one wins and only it is removed.
  std::optional<std::string> chdir;
  bool chdir_invalid = false;
  {
    std::size_t pos = args.size();
    for (std::size_t i = 0; i < args.size() && args[i].starts_with("-"); ++i) {
      if (args[i] == "-chdir" || args[i] == "-chdir=") {
        chdir_invalid = true;
        break;
      }
      if (args[i].starts_with("-chdir=")) pos = i;
    }
    if (!chdir_invalid && pos < args.size()) {
      chdir = args[pos].substr(7);
      args.erase(args.begin() + static_cast<long>(pos));
    }
  }
  if (chdir_invalid) cmd.note([] { return std::string("terraform refuses a -chdir without =DIR: nothing runs"); });
  if (chdir) {
    // Terraform's os.Chdir resolves `..` after symlinks; a lexical join would name another directory.
    const bool dot_dot = ("/" + *chdir + "/").find("/../") != std::string::npos;
    cmd.cwd = dot_dot ? ((*chdir)[0] == '/' ? *chdir : cmd.cwd + "/" + *chdir) : join_dir(cmd.cwd, *chdir);
    cmd.note([&] { return "-chdir: acts on " + cmd.cwd; });
    cmd.flags.push_back({"chdir", *chdir});
  }

  // 2-3. TF_CLI_ARGS*.
  merge_env_args_in_place(args, 0, cmd.environment(), cmd.keep_notes ? &cmd.notes : nullptr);

  // 4. The version shortcut.
  if (std::any_of(args.begin(), args.end(), [](const std::string& a) { return is_version(a); })) {
    args.insert(args.begin(), "version");
    cmd.note([] { return std::string("a -version flag: terraform runs `version`"); });
  }

  // 5. Route.
  const CliRoute route = cli_route(args);
  std::vector<std::string> effective{argv0};
  if (chdir) effective.push_back("-chdir=" + *chdir);
  if (route.help || route.autocomplete) {
    // Only help (or the shell completion installer) runs: no subcommand acts.
    cmd.flags.push_back({route.help ? "help" : "install-autocomplete", std::nullopt});
    cmd.note([] { return std::string("a help flag: terraform only prints help"); });
    effective.insert(effective.end(), args.begin(), args.end());
    cmd.argv = std::move(effective);
    return;
  }
  if (route.subcommand.empty()) {
    cmd.note([] { return std::string("no subcommand: terraform prints its usage"); });
    effective.insert(effective.end(), args.begin(), args.end());
    cmd.argv = std::move(effective);
    return;
  }
  if (!route.top_flags.empty())
    cmd.note([&] { return "flags before the subcommand (" + route.top_flags.front() + "): terraform refuses to run"; });
  // Terraform refuses flags before the subcommand and an invalid -chdir; the command is still decided
  // as if it ran (refusing what would fail anyway costs nothing, and a different build might run it).
  // Flags before the subcommand stay in front of it, so that whoever reads the effective argv sees a
  // launch terraform refuses, not a plain apply.
  effective.insert(effective.end(), route.top_flags.begin(), route.top_flags.end());
  std::size_t word_begin = effective.size();
  for (std::size_t from = 0, space = 0; from <= route.subcommand.size(); from = space + 1) {
    space = route.subcommand.find(' ', from);
    if (space == std::string::npos) space = route.subcommand.size();
    effective.push_back(route.subcommand.substr(from, space - from));
  }
  effective.insert(effective.end(), args.begin() + static_cast<long>(route.args_from), args.end());
  cmd.argv = std::move(effective);
  for (const auto& f : route.top_flags)
    cmd.flags.push_back({f.substr(f.rfind("--", 0) == 0 ? 2 : 1), std::nullopt});

  OptionStyle style;
  style.takes_value = terraform_takes_value;
  parse_options(cmd, word_begin, style);
}

bool terraform_takes_value(const std::string& name) {
  static constexpr std::string_view kNames[] = {
      "var", "var-file", "target", "replace", "exclude", "state", "state-out", "backup", "lock-timeout",
      "parallelism", "out", "generate-config-out", "backend-config", "plugin-dir", "from-module",
      "test-directory", "filter", "chdir", "lockfile", "platform", "fs-mirror", "net-mirror"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

}  // namespace agentguard::policy::detail
