// Helpers shared by the dialects, and the dispatch from a program name to its dialect.
#include <filesystem>

#include "dialects.hpp"
#include "parsed_command.hpp"
#include "agentguard/shell_quote.hpp"

namespace agentguard::policy::detail {

std::optional<std::string> env_value(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& entry : env) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=')
      return entry.substr(name.size() + 1);
  }
  return std::nullopt;
}

namespace {

// A path that lexically_normal() leaves as it is, when joined: non-empty, no empty, "." or ".."
// component, no trailing '/' (an absolute one may be "/" itself).
bool plain_path(std::string_view path) {
  if (path.empty()) return false;
  if (path == "/") return true;
  std::size_t start = path[0] == '/' ? 1 : 0;
  for (;;) {
    std::size_t end = path.find('/', start);
    std::string_view part = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

}  // namespace

std::string join_dir(const std::string& base, const std::string& dir) {
  // The common case (an absolute, already normal base and a plain relative or absolute dir) without
  // std::filesystem, which allocates for every component.
  if (plain_path(dir) && (dir[0] == '/' || (plain_path(base) && base[0] == '/'))) {
    if (dir[0] == '/') return dir;
    std::string out;
    out.reserve(base.size() + 1 + dir.size());
    out += base;
    if (base.size() > 1) out += '/';
    out += dir;
    return out;
  }
  std::filesystem::path p(dir);
  if (p.is_relative()) p = std::filesystem::path(base.empty() ? "." : base) / p;
  std::string out = p.lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::optional<bool> parse_go_bool(std::string_view t) {
  if (t == "1" || t == "t" || t == "T" || t == "TRUE" || t == "true" || t == "True") return true;
  if (t == "0" || t == "f" || t == "F" || t == "FALSE" || t == "false" || t == "False") return false;
  return std::nullopt;
}

std::string join_argv(const std::vector<std::string>& argv) { return shell_quote(argv); }

ParsedCommand parse_command(const std::string& program, std::vector<std::string> argv,
                            const std::vector<std::string>& env, const std::string& cwd, ParseOptions options) {
  ParsedCommand cmd;
  cmd.program = program;
  if (options.borrow_env) cmd.borrowed_env = &env;
  else cmd.env = env;
  cmd.keep_notes = options.notes;
  cmd.cwd = cwd;
  cmd.argv = std::move(argv);
  if (program == "terraform" || program == "tofu") parse_terraform(cmd);
  else if (program == "aws") parse_aws(cmd);
  else if (program == "terragrunt") parse_terragrunt(cmd);
  else if (program == "pulumi") parse_pulumi(cmd);
  else if (program == "cdk") parse_cdk(cmd);
  else parse_generic(cmd);
  return cmd;
}

void parse_options(ParsedCommand& cmd, std::size_t first, const OptionStyle& style) {
  if (first < cmd.argv.size()) {
    cmd.words.reserve(cmd.words.size() + cmd.argv.size() - first);
    cmd.flags.reserve(cmd.flags.size() + cmd.argv.size() - first);
  }
  bool only_positionals = false;
  for (std::size_t i = first; i < cmd.argv.size(); ++i) {
    const std::string& arg = cmd.argv[i];
    if (only_positionals || arg.size() < 2 || arg[0] != '-') {
      cmd.words.push_back(arg);
      continue;
    }
    if (arg == "--") {
      if (style.double_dash_ends_options) only_positionals = true;
      continue;
    }
    bool long_form = arg.compare(0, 2, "--") == 0;
    std::string body = arg.substr(long_form ? 2 : 1);
    if (!long_form && style.short_bundles) {
      // Cobra/yargs/getopt short options: -abc is -a -b -c; a value option takes the rest or the next word.
      for (std::size_t k = 0; k < body.size(); ++k) {
        std::string name(1, body[k]);
        if (style.takes_value(name)) {
          std::string rest = body.substr(k + 1);
          if (!rest.empty() && rest[0] == '=') rest.erase(0, 1);
          if (!rest.empty()) cmd.flags.push_back({name, rest});
          else if (i + 1 < cmd.argv.size()) cmd.flags.push_back({name, cmd.argv[++i]});
          else cmd.flags.push_back({name, std::nullopt});
          break;
        }
        cmd.flags.push_back({name, std::nullopt});
      }
      continue;
    }
    std::size_t eq = body.find('=');
    if (eq != std::string::npos) {
      std::string value = body.substr(eq + 1);
      body.resize(eq);
      cmd.flags.push_back({std::move(body), std::move(value)});
    } else if (style.takes_value(body) && i + 1 < cmd.argv.size()) {
      cmd.flags.push_back({std::move(body), cmd.argv[++i]});
    } else {
      cmd.flags.push_back({std::move(body), std::nullopt});
    }
  }
}

void parse_generic(ParsedCommand& cmd) {
  OptionStyle style;
  style.short_bundles = false;
  parse_options(cmd, 1, style);
  cmd.command_anywhere = true;
}

}  // namespace agentguard::policy::detail
