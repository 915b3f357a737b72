#pragma once
// Setuid wrappers drop LD_PRELOAD, so the guard decides from their argv what they will run as root.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentguard::policy::detail {

struct WrappedCommand {
  std::vector<std::string> argv;            // the inner command; empty when none (a root shell or -l/-v)
  std::optional<std::string> shell_string;  // su -c STRING: a command line for the root shell
  bool root_shell = false;                  // an interactive/stdin root shell, invisible to the guard
  std::vector<std::string> env;             // NAME=value the wrapper adds (sudo VAR=value cmd)
  std::optional<std::string> chdir;         // sudo -D DIR
  std::vector<std::string> notes;
};

// `wrapper` is sudo, doas, su or pkexec; argv[0] is the wrapper itself.
WrappedCommand unwrap(const std::string& wrapper, const std::vector<std::string>& argv);

bool is_wrapper(std::string_view program);
bool is_shell(std::string_view name);  // the basename of name is sh, bash, dash, zsh, ksh, mksh, ash, yash, posh or fish
// For a shell's argv: the -c STRING if present.
std::optional<std::string> shell_command_string(const std::vector<std::string>& argv);

}  // namespace agentguard::policy::detail
