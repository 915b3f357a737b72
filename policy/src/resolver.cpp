#include "resolver.hpp"

#include <array>

#include "core/launch/identity.hpp"
#include "core/launch/path_search.hpp"
#include "core/launch/watch_list.hpp"
#include "dialects.hpp"
#include "shell_words.hpp"
#include "wrappers.hpp"

namespace agentguard::policy::detail {
namespace {

constexpr int kMaxDepth = 6;
constexpr const char* kRootDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Commands that only run the next words (inside a root shell string, where no hook sees them).
bool strip_runner(std::vector<std::string>& words, std::vector<std::string>& env) {
  if (words.empty()) return false;
  const std::string name = basename_of(words[0]);
  if (name == "exec" || name == "command" || name == "nohup" || name == "time" || name == "builtin") {
    words.erase(words.begin());
    while (!words.empty() && words[0].size() > 1 && words[0][0] == '-') words.erase(words.begin());
    return true;
  }
  if (name == "env") {
    words.erase(words.begin());
    while (!words.empty()) {
      if (words[0] == "-i" || words[0] == "-" || words[0] == "--ignore-environment") {
        env.clear();
        words.erase(words.begin());
      } else if ((words[0] == "-u" || words[0] == "-C") && words.size() > 1) {
        words.erase(words.begin(), words.begin() + 2);
      } else if (is_assignment(words[0])) {
        env.insert(env.begin(), words[0]);
        words.erase(words.begin());
      } else if (words[0].size() > 1 && words[0][0] == '-') {
        words.erase(words.begin());
      } else {
        break;
      }
    }
    return true;
  }
  return false;
}

}  // namespace

void Resolver::note(const std::string& line) const {
  if (trace) trace->push_back(line);
}

bool Resolver::watched_name(const std::string& name) const {
  return core::watch_list_has_name(watch_list, 'p', name.data(), name.size()) ||
         core::watch_list_has_name(watch_list, 'w', name.data(), name.size());
}

std::vector<ParsedCommand> Resolver::resolve(const ExecRequest& request) const {
  std::vector<ParsedCommand> out;
  // identify() wants a NULL-terminated char* argv: on the stack for any ordinary command line.
  std::array<const char*, 64> small;
  std::vector<const char*> large;
  const char** argv = small.data();
  if (request.argv.size() + 1 > small.size()) {
    large.resize(request.argv.size() + 1);
    argv = large.data();
  }
  for (std::size_t i = 0; i < request.argv.size(); ++i) argv[i] = request.argv[i].c_str();
  argv[request.argv.size()] = nullptr;
  core::Identity id;
  bool examined = core::identify(request.resolved_path.c_str(), argv, watch_list, id);
  if (!examined && trace) note("identity: cannot examine " + request.resolved_path + "; deciding by its name");
  if (!id.watched) {
    // A file that cannot be examined is judged by its name, so a missing file is never a way around a rule.
    std::string name = basename_of(request.resolved_path);
    if (!examined && watched_name(name)) {
      resolve_identified(name, request.resolved_path, request.argv, request.env, request.cwd, 0, out, true);
      return out;
    }
    if (trace) note("identity: " + request.resolved_path + " is not watched; it runs untouched");
    return out;
  }
  std::vector<std::string> effective(request.argv.begin() + std::min<long>(id.argv_index, static_cast<long>(request.argv.size())),
                                     request.argv.end());
  if (trace) {
    note(std::string("identity: ") + id.program + " (via " + core::to_string(id.via) + ") at " + id.resolved_path);
    if (id.argv_index > 0) note("effective command starts at argv[" + std::to_string(id.argv_index) + "]");
  }
  resolve_identified(id.program, id.resolved_path, std::move(effective), request.env, request.cwd, 0, out, true);
  return out;
}

std::vector<ParsedCommand> Resolver::resolve_shell(const std::string& text, const std::vector<std::string>& env,
                                                   const std::string& cwd, int depth) const {
  std::vector<ParsedCommand> out;
  std::string error;
  auto commands = split_commands(text, &error);
  if (!error.empty()) throw UnresolvableLaunch("cannot split the shell command line (" + error + "): " + text);
  for (const auto& command : commands) {
    std::vector<std::string> command_env = command.assignments;
    command_env.insert(command_env.end(), env.begin(), env.end());  // the command's own assignments come first
    resolve_words(command.words, std::move(command_env), cwd, depth, out);
  }
  return out;
}

void Resolver::resolve_words(std::vector<std::string> words, std::vector<std::string> env, const std::string& cwd,
                             int depth, std::vector<ParsedCommand>& out) const {
  if (depth > kMaxDepth) throw UnresolvableLaunch("commands nested too deeply to inspect");
  while (strip_runner(words, env)) {
  }
  if (words.empty()) return;
  const std::string& name = words[0];
  if (is_shell(basename_of(name))) {
    resolve_identified(basename_of(name), "", words, env, cwd, depth + 1, out);
    return;
  }
  if (use_filesystem) {
    std::string path_env = env_value(env, "PATH").value_or(kRootDefaultPath);
    char found[core::kMaxPath];
    std::string target = name;
    if (name.find('/') != std::string::npos && name[0] != '/') target = join_dir(cwd, name);
    if (core::find_in_path(target.c_str(), path_env.c_str(), found, sizeof found)) {
      std::vector<const char*> argv;
      for (const auto& a : words) argv.push_back(a.c_str());
      argv.push_back(nullptr);
      core::Identity id;
      core::identify(found, argv.data(), watch_list, id);
      if (!id.watched) {
        if (trace) note("inner command " + name + " (" + found + ") is not watched");
        scan_for_watched(words, env, cwd, depth, out);
        return;
      }
      std::vector<std::string> effective(words.begin() + std::min<long>(id.argv_index, static_cast<long>(words.size())),
                                         words.end());
      if (trace)
        note(std::string("inner command identity: ") + id.program + " (via " + core::to_string(id.via) + ") at " +
             id.resolved_path);
      resolve_identified(id.program, id.resolved_path, std::move(effective), env, cwd, depth + 1, out);
      return;
    }
    if (trace) note("inner command " + name + " not found on PATH; deciding by its name");
  }
  std::string base = basename_of(name);
  if (watched_name(base)) {
    resolve_identified(base, "", words, env, cwd, depth + 1, out);
    return;
  }
  scan_for_watched(words, env, cwd, depth, out);
}

void Resolver::scan_for_watched(const std::vector<std::string>& words, const std::vector<std::string>& env,
                                const std::string& cwd, int depth, std::vector<ParsedCommand>& out) const {
  // Below a setuid wrapper nothing is hooked: `sudo timeout 60 terraform destroy`, `sudo xargs terraform`,
  // `sudo find . -exec terraform destroy ;` would run unseen. So the first word naming a watched
  // program is taken as the start of a command run as root (best effort, errs on refusing).
  if (depth == 0) return;  // outside a wrapper the preload sees such launches itself
  for (std::size_t i = 1; i < words.size(); ++i) {
    std::string base = basename_of(words[i]);
    if (!watched_name(base) || is_wrapper(base)) continue;
    if (trace)
      note(basename_of(words[0]) + " may run " + base + " as root where no hook sees it: deciding from word " +
           std::to_string(i) + " on");
    resolve_identified(base, "", std::vector<std::string>(words.begin() + static_cast<long>(i), words.end()), env, cwd,
                       depth + 1, out);
    return;
  }
}

void Resolver::resolve_identified(const std::string& program, const std::string& resolved_path,
                                  std::vector<std::string> argv, const std::vector<std::string>& env,
                                  const std::string& cwd, int depth, std::vector<ParsedCommand>& out,
                                  bool env_outlives) const {
  const ParseOptions options{false, trace != nullptr};
  if (depth > kMaxDepth) throw UnresolvableLaunch("commands nested too deeply to inspect");
  if (is_shell(program)) {
    // Only reached below a wrapper or in an example: `sudo sh -c STRING`.
    if (auto text = shell_command_string(argv)) {
      if (trace) note(program + " -c: deciding each command of: " + *text + " (best effort: the root shell is unguarded)");
      auto inner = resolve_shell(*text, env, cwd, depth + 1);
      out.insert(out.end(), std::make_move_iterator(inner.begin()), std::make_move_iterator(inner.end()));
    }
    return;
  }
  if (is_wrapper(program)) {
    WrappedCommand w = unwrap(program, argv);
    if (trace)
      for (const auto& n : w.notes) note(program + ": " + n);
    std::vector<std::string> inner_env = w.env;
    inner_env.insert(inner_env.end(), env.begin(), env.end());
    std::string inner_cwd = w.chdir ? join_dir(cwd, *w.chdir) : cwd;
    if (w.shell_string) {
      if (trace)
        note(program + " -c: deciding each command of: " + *w.shell_string + " (best effort: the root shell is unguarded)");
      auto inner = resolve_shell(*w.shell_string, inner_env, inner_cwd, depth + 1);
      out.insert(out.end(), std::make_move_iterator(inner.begin()), std::make_move_iterator(inner.end()));
      return;
    }
    bool shell_without_command = !w.argv.empty() && is_shell(w.argv[0]) && !shell_command_string(w.argv);
    if (w.root_shell || shell_without_command) {
      // What a root shell reads (stdin, a script) runs without the guard: decided as "<wrapper> shell".
      ParsedCommand cmd = parse_command(program, {argv.empty() ? program : argv[0]}, env, cwd, options);
      cmd.resolved_path = resolved_path;
      cmd.words = {"shell"};
      cmd.argv = std::move(argv);
      cmd.note([&] { return program + " starts a root shell whose commands the guard cannot see"; });
      out.push_back(std::move(cmd));
      return;
    }
    if (w.argv.empty()) {
      ParsedCommand cmd = parse_command(program, std::move(argv), env, cwd, options);
      cmd.resolved_path = resolved_path;
      cmd.words.clear();
      cmd.note([&] { return program + " runs no command"; });
      out.push_back(std::move(cmd));
      return;
    }
    if (trace) note(program + ": runs " + join_argv(w.argv));
    resolve_words(std::move(w.argv), std::move(inner_env), inner_cwd, depth + 1, out);
    return;
  }
  ParsedCommand cmd = parse_command(program, std::move(argv), env, cwd, {env_outlives, trace != nullptr});
  cmd.resolved_path = resolved_path;
  out.push_back(std::move(cmd));
}

}  // namespace agentguard::policy::detail
