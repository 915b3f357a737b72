// aws CLI: global options before and after the service, service then operation, CLI aliases.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "dialects.hpp"
#include "shell_words.hpp"

namespace agentguard::policy::detail {
namespace {

bool global_takes_value(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "region", "profile", "endpoint-url", "output", "query", "color", "ca-bundle",
      "cli-read-timeout", "cli-connect-timeout", "cli-binary-format"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// Is b the opposite switch of a: "x" for "no-x", "no-x" for "x"?
bool opposite_names(std::string_view a, std::string_view b) {
  if (a.starts_with("no-")) return b == a.substr(3);
  return b.starts_with("no-") && b.substr(3) == a;
}

// The aws CLI alias file: <dir of AWS_CONFIG_FILE, default ~/.aws/config>/cli/alias.
std::string alias_file(const std::vector<std::string>& env) {
  std::string config;
  if (auto v = env_value(env, "AWS_CONFIG_FILE"); v && !v->empty()) {
    config = *v;
    if (config.rfind("~/", 0) == 0) {
      auto home = env_value(env, "HOME");
      if (!home) return "";
      config = *home + config.substr(1);
    }
  } else {
    auto home = env_value(env, "HOME");
    if (!home || home->empty()) return "";
    config = *home + "/.aws/config";
  }
  auto slash = config.rfind('/');
  std::string dir = slash == std::string::npos ? "." : config.substr(0, slash);
  return dir + "/cli/alias";
}

// section -> (alias -> value), from the INI-style alias file. Continuation lines start with whitespace.
using AliasTable = std::map<std::string, std::map<std::string, std::string>>;
AliasTable read_aliases(const std::string& path) {
  AliasTable table;
  std::ifstream in(path);
  std::string line, section, last_key;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    if (line[first] == '#' || line[first] == ';') continue;
    if (first > 0 && !last_key.empty()) {
      table[section][last_key] += "\n" + line.substr(first);
      continue;
    }
    if (line[first] == '[') {
      auto close = line.find(']');
      section = line.substr(first + 1, close == std::string::npos ? std::string::npos : close - first - 1);
      last_key.clear();
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    std::string value = line.substr(eq + 1);
    auto start = value.find_first_not_of(" \t");
    value = start == std::string::npos ? "" : value.substr(start);
    table[section][key] = value;
    last_key = key;
  }
  return table;
}

// Index of the n-th positional word (0-based) in args, skipping global options; args.size() if none.
std::size_t positional_index(const std::vector<std::string>& args, std::size_t n) {
  std::size_t seen = 0;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string name = a.substr(2);
      if (name.find('=') == std::string::npos && global_takes_value(name)) ++i;
      continue;
    }
    if (seen++ == n) return i;
  }
  return args.size();
}

// Replaces an alias word by its expansion; returns false when nothing was expanded.
bool expand_alias(ParsedCommand& cmd, const AliasTable& aliases, const std::string& section, std::size_t index) {
  if (index >= cmd.argv.size()) return false;
  auto sec = aliases.find(section);
  if (sec == aliases.end()) return false;
  auto it = sec->second.find(cmd.argv[index]);
  if (it == sec->second.end()) return false;
  std::string value = it->second;
  auto start = value.find_first_not_of(" \t\n");
  if (start != std::string::npos && value[start] == '!') {
    cmd.note([&] {
      return "aws alias '" + it->first + "' is a shell alias: aws runs it through a shell, whose launches the guard sees";
    });
    return false;
  }
  auto words = split_words(value);
  cmd.note([&] { return "aws alias '" + it->first + "' (" + section + ") expands to: " + join_argv(words); });
  cmd.argv.erase(cmd.argv.begin() + static_cast<long>(index));
  cmd.argv.insert(cmd.argv.begin() + static_cast<long>(index), words.begin(), words.end());
  return true;
}

}  // namespace

void parse_aws(ParsedCommand& cmd) {
  std::string path = alias_file(cmd.environment());
  if (!path.empty()) {
    AliasTable aliases = read_aliases(path);
    if (!aliases.empty()) {
      // Aliases may refer to other aliases; a bound keeps a cycle from looping.
      for (int round = 0; round < 8 && expand_alias(cmd, aliases, "toplevel", positional_index(cmd.argv, 0)); ++round) {
      }
      std::size_t service = positional_index(cmd.argv, 0);
      if (service < cmd.argv.size()) {
        for (int round = 0;
             round < 8 && expand_alias(cmd, aliases, "command " + cmd.argv[service], positional_index(cmd.argv, 1));
             ++round) {
        }
      }
    }
  }

  std::size_t positionals = 0;
  for (std::size_t i = 1; i < cmd.argv.size(); ++i) {
    const std::string& arg = cmd.argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      cmd.words.push_back(arg);
      ++positionals;
      continue;
    }
    std::string body = arg.substr(2);
    auto eq = body.find('=');
    if (eq != std::string::npos) {
      cmd.flags.push_back({body.substr(0, eq), body.substr(eq + 1)});
    } else if (global_takes_value(body) && i + 1 < cmd.argv.size()) {
      cmd.flags.push_back({body, cmd.argv[++i]});
    } else if (positionals >= 2 && i + 1 < cmd.argv.size() && cmd.argv[i + 1].rfind("--", 0) != 0) {
      // An operation's parameter takes the next word as its value.
      cmd.flags.push_back({body, cmd.argv[++i]});
    } else {
      cmd.flags.push_back({body, std::nullopt});
    }
  }

  // --x and --no-x: the last one written wins (argparse semantics).
  const auto overridden_at = [&](std::size_t i) {
    for (std::size_t j = i + 1; j < cmd.flags.size(); ++j)
      if (opposite_names(cmd.flags[i].name, cmd.flags[j].name)) return true;
    return false;
  };
  bool any_overridden = false;
  for (std::size_t i = 0; i < cmd.flags.size() && !any_overridden; ++i) any_overridden = overridden_at(i);
  if (!any_overridden) return;
  std::vector<Flag> kept;
  kept.reserve(cmd.flags.size());
  for (std::size_t i = 0; i < cmd.flags.size(); ++i) {
    const std::string& name = cmd.flags[i].name;
    if (overridden_at(i)) {
      cmd.note([&] {
        return "--" + name + " is overridden by a later --" + (name.rfind("no-", 0) == 0 ? name.substr(3) : "no-" + name);
      });
    } else {
      kept.push_back(std::move(cmd.flags[i]));
    }
  }
  cmd.flags = std::move(kept);
}

}  // namespace agentguard::policy::detail
