#include "wrappers.hpp"

#include <algorithm>
#include <set>

#include "shell_words.hpp"

namespace agentguard::policy::detail {
namespace {

struct GetoptSpec {
  std::set<char> short_with_value;
  std::set<std::string> long_with_value;
  bool permute = false;  // GNU getopt permutes (options after operands); sudo/doas/pkexec stop at the first operand
};

struct Parsed {
  std::vector<std::pair<std::string, std::string>> options;  // name ("-u", "--user"), value
  std::vector<std::string> operands;
};

Parsed getopt_like(const std::vector<std::string>& argv, const GetoptSpec& spec) {
  Parsed out;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      out.operands.insert(out.operands.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
      break;
    }
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a.substr(2);
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        out.options.emplace_back("--" + name.substr(0, eq), name.substr(eq + 1));
      } else if (spec.long_with_value.count(name) && i + 1 < argv.size()) {
        out.options.emplace_back("--" + name, argv[++i]);
      } else {
        out.options.emplace_back("--" + name, "");
      }
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      for (std::size_t k = 1; k < a.size(); ++k) {
        char c = a[k];
        if (spec.short_with_value.count(c)) {
          std::string value = a.substr(k + 1);
          if (value.empty() && i + 1 < argv.size()) value = argv[++i];
          out.options.emplace_back(std::string("-") + c, value);
          break;
        }
        out.options.emplace_back(std::string("-") + c, "");
      }
      continue;
    }
    if (!spec.permute) {
      out.operands.insert(out.operands.end(), argv.begin() + static_cast<long>(i), argv.end());
      break;
    }
    out.operands.push_back(a);
  }
  return out;
}

bool has(const Parsed& p, std::initializer_list<const char*> names) {
  for (const auto& [name, value] : p.options)
    for (const char* n : names)
      if (name == n) return true;
  return false;
}

WrappedCommand unwrap_sudo(const std::vector<std::string>& argv) {
  GetoptSpec spec;
  spec.short_with_value = {'C', 'D', 'g', 'p', 'r', 'R', 't', 'T', 'U', 'u'};
  spec.long_with_value = {"close-from", "chdir", "group", "prompt", "role", "chroot", "type",
                          "command-timeout", "other-user", "user", "host"};
  Parsed p = getopt_like(argv, spec);
  WrappedCommand w;
  for (const auto& [name, value] : p.options)
    if ((name == "-D" || name == "--chdir") && !value.empty()) w.chdir = value;
  std::size_t i = 0;
  while (i < p.operands.size() && is_assignment(p.operands[i])) w.env.push_back(p.operands[i++]);
  w.argv.assign(p.operands.begin() + static_cast<long>(i), p.operands.end());
  if (has(p, {"-e", "--edit"})) {
    w.notes.push_back("sudo -e edits files; it runs no command");
    w.argv.clear();
    return w;
  }
  if (w.argv.empty() && has(p, {"-s", "--shell", "-i", "--login"})) w.root_shell = true;
  if (!w.argv.empty() && has(p, {"-s", "--shell", "-i", "--login"}))
    w.notes.push_back("sudo -s/-i CMD: the root shell runs CMD");
  return w;
}

WrappedCommand unwrap_doas(const std::vector<std::string>& argv) {
  GetoptSpec spec;
  spec.short_with_value = {'a', 'C', 'u'};
  Parsed p = getopt_like(argv, spec);
  WrappedCommand w;
  if (has(p, {"-C"})) {
    w.notes.push_back("doas -C checks a config file; it runs no command");
    return w;
  }
  w.argv = p.operands;
  if (w.argv.empty() && has(p, {"-s"})) w.root_shell = true;
  return w;
}

WrappedCommand unwrap_pkexec(const std::vector<std::string>& argv) {
  GetoptSpec spec;
  spec.long_with_value = {"user"};
  Parsed p = getopt_like(argv, spec);
  WrappedCommand w;
  w.argv = p.operands;
  if (w.argv.empty() && !has(p, {"--help", "--version"})) w.root_shell = true;  // pkexec alone runs a root shell
  return w;
}

WrappedCommand unwrap_su(const std::vector<std::string>& argv) {
  GetoptSpec spec;
  spec.short_with_value = {'c', 'C', 'g', 'G', 's', 'w'};
  spec.long_with_value = {"command", "session-command", "group", "supp-group", "shell", "whitelist-environment"};
  spec.permute = true;
  Parsed p = getopt_like(argv, spec);
  WrappedCommand w;
  for (const auto& [name, value] : p.options)
    if (name == "-c" || name == "-C" || name == "--command" || name == "--session-command") w.shell_string = value;
  if (has(p, {"-h", "--help", "-V", "--version"}) && !w.shell_string) return w;
  // Operands: [-] [user [shell arguments...]]; "-" alone means a login shell.
  std::vector<std::string> rest;
  bool user_seen = false;
  for (const auto& op : p.operands) {
    if (op == "-" && !user_seen) continue;
    if (!user_seen) {
      user_seen = true;
      continue;
    }
    rest.push_back(op);
  }
  if (!w.shell_string) {
    // Extra operands go to the user's shell (e.g. su root -c ... is handled above; su root script.sh runs it).
    w.root_shell = true;
    if (!rest.empty()) w.notes.push_back("su passes '" + rest.front() + "' ... to the root shell");
  }
  return w;
}

}  // namespace

bool is_wrapper(std::string_view program) {
  return program == "sudo" || program == "doas" || program == "su" || program == "pkexec";
}

bool is_shell(std::string_view name) {
  static constexpr std::string_view kShells[] = {"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh", "fish"};
  if (auto slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  return std::find(std::begin(kShells), std::end(kShells), name) != std::end(kShells);
}

std::optional<std::string> shell_command_string(const std::vector<std::string>& argv) {
  // sh [-abefhmnuvx...] [-o opt] -c STRING [name [args...]]: -c may be bundled (-ec, -lc).
  bool want_string = false;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (want_string) return a;
    if (a == "--") return std::nullopt;
    if (a == "-o" || a == "+o" || a == "-O" || a == "+O") {
      ++i;
      continue;
    }
    if (a.size() > 1 && (a[0] == '-' || a[0] == '+') && a.compare(0, 2, "--") != 0) {
      if (a[0] == '-' && a.find('c') != std::string::npos) want_string = true;
      continue;
    }
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) continue;  // bash long options (--norc, --login)
    return std::nullopt;  // a script file: not a -c string
  }
  return std::nullopt;
}

WrappedCommand unwrap(const std::string& wrapper, const std::vector<std::string>& argv) {
  if (wrapper == "sudo") return unwrap_sudo(argv);
  if (wrapper == "doas") return unwrap_doas(argv);
  if (wrapper == "pkexec") return unwrap_pkexec(argv);
  return unwrap_su(argv);
}

}  // namespace agentguard::policy::detail
