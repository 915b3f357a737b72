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

// getopt_long as glibc runs it for a fixed table of long options: exact names or unambiguous
// prefixes, `--name=value` or `--name value` for those that take a value, short options bundled.
// `stop_at_operand` is the "+" optstring (or POSIXLY_CORRECT); otherwise operands and options mix.
// An option the table does not know, an ambiguous prefix or a missing value makes the real tool
// print its usage and run nothing; here it makes the line unreadable (refused), because another
// version of the tool may know that option and take a value for it.
struct LongOption {
  const char* name;
  bool takes_value;
};

struct StrictParse {
  std::vector<std::pair<std::string, std::string>> options;  // canonical "--name" or "-c", value
  std::vector<std::string> operands;
  std::optional<std::string> error;
};

StrictParse getopt_long_like(const std::vector<std::string>& argv, std::string_view short_spec,
                             const std::vector<LongOption>& longs, bool stop_at_operand) {
  StrictParse out;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      out.operands.insert(out.operands.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
      break;
    }
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      const std::string body = a.substr(2);
      const auto eq = body.find('=');
      const std::string name = body.substr(0, eq);
      const LongOption* match = nullptr;
      int prefix_matches = 0;
      for (const auto& o : longs) {
        if (name == o.name) {
          match = &o;
          prefix_matches = 1;
          break;
        }
        if (std::string_view(o.name).substr(0, name.size()) == name) {
          ++prefix_matches;
          match = &o;
        }
      }
      if (match == nullptr || prefix_matches != 1) {
        out.error = "option `--" + name + "` is " + (match == nullptr ? "unknown" : "ambiguous") + " to this tool";
        return out;
      }
      std::string value;
      if (match->takes_value) {
        if (eq != std::string::npos) value = body.substr(eq + 1);
        else if (i + 1 < argv.size()) value = argv[++i];
        else {
          out.error = "option `--" + std::string(match->name) + "` lacks its value";
          return out;
        }
      } else if (eq != std::string::npos) {
        out.error = "option `--" + std::string(match->name) + "` takes no value";
        return out;
      }
      out.options.emplace_back(std::string("--") + match->name, value);
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      for (std::size_t k = 1; k < a.size(); ++k) {
        const char c = a[k];
        const auto at = short_spec.find(c);
        if (c == ':' || at == std::string_view::npos) {
          out.error = std::string("option `-") + c + "` is unknown to this tool";
          return out;
        }
        if (at + 1 < short_spec.size() && short_spec[at + 1] == ':') {
          std::string value = a.substr(k + 1);
          if (value.empty()) {
            if (i + 1 >= argv.size()) {
              out.error = std::string("option `-") + c + "` lacks its value";
              return out;
            }
            value = argv[++i];
          }
          out.options.emplace_back(std::string("-") + c, value);
          break;
        }
        out.options.emplace_back(std::string("-") + c, "");
      }
      continue;
    }
    if (stop_at_operand) {
      out.operands.insert(out.operands.end(), argv.begin() + static_cast<long>(i), argv.end());
      break;
    }
    out.operands.push_back(a);
  }
  return out;
}

bool has_option(const StrictParse& p, std::initializer_list<const char*> names) {
  for (const auto& [name, value] : p.options)
    for (const char* n : names)
      if (name == n) return true;
  return false;
}

std::string basename_view(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// sg and newgrp are one program (shadow's newgrp.c) that chooses by the name it was run as:
//   newgrp [-|-l] [GROUP]            an interactive shell, which reads its commands from stdin
//   sg [-|-l] GROUP [[-c] COMMAND]   `/bin/sh -c COMMAND` (only the one word after GROUP or -c;
//                                    further words are ignored), or the interactive shell
// A first word starting with '-' (other than the login flag) is a usage error: nothing runs.
WrappedCommand unwrap_sg_newgrp(const std::vector<std::string>& argv) {
  WrappedCommand w;
  const bool is_newgrp = !argv.empty() && basename_view(argv[0]) == "newgrp";
  std::size_t i = 1;
  if (i < argv.size() && (argv[i] == "-" || argv[i] == "-l")) ++i;
  if (is_newgrp) {
    if (i < argv.size() && !argv[i].empty() && argv[i][0] == '-') {
      w.notes.push_back("newgrp: a usage error; it runs nothing");
      return w;
    }
    w.root_shell = true;
    w.notes.push_back("newgrp starts a shell that reads its commands from stdin");
    return w;
  }
  if (i >= argv.size() || (!argv[i].empty() && argv[i][0] == '-')) {
    w.notes.push_back("sg: a usage error; it runs nothing");
    return w;
  }
  ++i;  // the group
  if (i >= argv.size()) {
    w.root_shell = true;
    w.notes.push_back("sg without a command starts a shell that reads its commands from stdin");
    return w;
  }
  w.shell_string = (argv.size() - i > 1 && argv[i] == "-c") ? argv[i + 1] : argv[i];
  return w;
}

// util-linux 2.38 su and runuser (su-common.c): options permute unless POSIXLY_CORRECT is set;
//   runuser [options] -u USER [--] COMMAND [ARGS...]   COMMAND is executed directly
//   su/runuser [options] [-] [USER [ARGS...]]          USER's shell (-s SHELL, or $SHELL with -m/-p),
//                                                      with -c STRING (then ARGS follow it) if given
WrappedCommand unwrap_su_family(const std::vector<std::string>& argv, bool runuser, bool posixly_correct) {
  static const std::vector<LongOption> kLongs = {
      {"command", true}, {"session-command", true}, {"fast", false},   {"login", false},
      {"preserve-environment", false}, {"pty", false}, {"shell", true}, {"group", true},
      {"supp-group", true}, {"user", true}, {"whitelist-environment", true}, {"help", false}, {"version", false}};
  const StrictParse p = getopt_long_like(argv, "c:C:fg:G:lmpPs:u:hVw:", kLongs, posixly_correct);
  WrappedCommand w;
  if (p.error) {
    w.unreadable = *p.error;
    return w;
  }
  std::optional<std::string> shell;
  bool user_option = false;
  for (const auto& [name, value] : p.options) {
    if (name == "-c" || name == "-C" || name == "--command" || name == "--session-command") w.shell_string = value;
    if (name == "-s" || name == "--shell") shell = value;
    if (name == "-u" || name == "--user") user_option = true;
  }
  if (user_option && !runuser) {
    w.unreadable = "su has no -u option";
    return w;
  }
  if (has_option(p, {"-h", "--help", "-V", "--version"}) && !w.shell_string && !user_option) return w;
  std::vector<std::string> operands = p.operands;
  if (user_option) {
    // runuser -u: with -c/-s/-l/-f it refuses ("mutually exclusive"); else the operands run as they are.
    if (w.shell_string || shell) {
      w.unreadable = "runuser -u with a shell option is a usage error";
      return w;
    }
    w.argv = operands;
    return w;
  }
  // [-] [USER [ARGS...]]
  std::size_t i = 0;
  if (i < operands.size() && operands[i] == "-") ++i;
  if (i < operands.size()) ++i;  // the user
  std::vector<std::string> rest(operands.begin() + static_cast<long>(i), operands.end());
  if (shell && !is_shell(*shell)) {
    // -s PROGRAM: that program is what runs, with -c STRING and the arguments.
    w.argv.push_back(*shell);
    if (w.shell_string) {
      w.argv.push_back("-c");
      w.argv.push_back(*w.shell_string);
      w.shell_string.reset();
    }
    w.argv.insert(w.argv.end(), rest.begin(), rest.end());
    w.notes.push_back("-s " + *shell + " is not a shell: it runs as the command");
    return w;
  }
  if (!w.shell_string) {
    w.root_shell = true;
    if (!rest.empty()) w.notes.push_back((runuser ? "runuser" : "su") + std::string(" passes '") + rest.front() + "' ... to the shell");
  }
  return w;
}

// util-linux 2.38 setpriv: getopt_long with "+dhV" (stops at the program); then execvp(argv[optind]).
WrappedCommand unwrap_setpriv(const std::vector<std::string>& argv) {
  static const std::vector<LongOption> kLongs = {
      {"dump", false},        {"nnp", false},          {"no-new-privs", false},   {"inh-caps", true},
      {"ambient-caps", true}, {"list-caps", false},    {"ruid", true},            {"euid", true},
      {"rgid", true},         {"egid", true},          {"reuid", true},           {"regid", true},
      {"clear-groups", false}, {"keep-groups", false}, {"init-groups", false},    {"groups", true},
      {"bounding-set", true}, {"securebits", true},    {"pdeathsig", true},       {"selinux-label", true},
      {"apparmor-profile", true}, {"help", false},     {"reset-env", false},      {"version", false}};
  const StrictParse p = getopt_long_like(argv, "dhV", kLongs, true);
  WrappedCommand w;
  if (p.error) {
    w.unreadable = *p.error;
    return w;
  }
  w.argv = p.operands;  // nothing after the options: setpriv says "No program specified"
  if (has_option(p, {"--reset-env"}))
    w.notes.push_back("--reset-env: the program is found on the default PATH");
  return w;
}

// coreutils 9.1 chroot: getopt_long with "+": [--groups=G] [--userspec=U:G] [--skip-chdir] NEWROOT
// [COMMAND [ARG]...]; no COMMAND runs "${SHELL:-/bin/sh} -i". It chdirs to the new "/" unless
// --skip-chdir.
WrappedCommand unwrap_chroot(const std::vector<std::string>& argv) {
  static const std::vector<LongOption> kLongs = {
      {"groups", true}, {"userspec", true}, {"skip-chdir", false}, {"help", false}, {"version", false}};
  const StrictParse p = getopt_long_like(argv, "", kLongs, true);
  WrappedCommand w;
  if (p.error) {
    w.unreadable = *p.error;
    return w;
  }
  if (p.operands.empty()) {
    w.notes.push_back("chroot without NEWROOT runs nothing");
    return w;
  }
  w.new_root = p.operands.front();
  if (!has_option(p, {"--skip-chdir"})) w.chdir = "/";
  w.argv.assign(p.operands.begin() + 1, p.operands.end());
  if (w.argv.empty()) {
    w.root_shell = true;
    w.notes.push_back("chroot without a command starts an interactive shell");
  }
  return w;
}

}  // namespace

bool is_wrapper(std::string_view program) {
  return program == "sudo" || program == "doas" || program == "su" || program == "pkexec" || program == "sg" ||
         program == "newgrp" || program == "runuser" || program == "setpriv" || program == "chroot";
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

WrappedCommand unwrap(const std::string& wrapper, const std::vector<std::string>& argv, bool posixly_correct) {
  if (wrapper == "sudo") return unwrap_sudo(argv);
  if (wrapper == "doas") return unwrap_doas(argv);
  if (wrapper == "pkexec") return unwrap_pkexec(argv);
  if (wrapper == "sg" || wrapper == "newgrp") return unwrap_sg_newgrp(argv);
  if (wrapper == "runuser") return unwrap_su_family(argv, true, posixly_correct);
  if (wrapper == "setpriv") return unwrap_setpriv(argv);
  if (wrapper == "chroot") return unwrap_chroot(argv);
  return unwrap_su_family(argv, false, posixly_correct);
}

}  // namespace agentguard::policy::detail
