#pragma once
// Setuid wrappers drop LD_PRELOAD (the loader's secure mode), and wrappers that switch user or root
// may run their command where the preload cannot load, so the guard decides from their argv what
// they will run.
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
  std::optional<std::string> chdir;         // sudo -D DIR, chroot's chdir("/")
  std::optional<std::string> new_root;      // chroot NEWROOT: the inner command runs inside it
  std::optional<std::string> unreadable;    // why this command line cannot be read with certainty
  std::vector<std::string> notes;
};

// `wrapper` is sudo, doas, su, pkexec, sg, newgrp, runuser, setpriv or chroot; argv[0] is the
// wrapper itself. Each is parsed as its own source parses it (the versions in Debian 12: sudo
// 1.9.13, shadow 4.13 sg/newgrp, util-linux 2.38 su/runuser/setpriv, coreutils 9.1 chroot).
// `posixly_correct`: POSIXLY_CORRECT is in the environment (GNU getopt then stops at the first operand).
WrappedCommand unwrap(const std::string& wrapper, const std::vector<std::string>& argv, bool posixly_correct = false);

bool is_wrapper(std::string_view program);
bool is_shell(std::string_view name);  // the basename of name is sh, bash, dash, zsh, ksh, mksh, ash, yash, posh or fish
// For a shell's argv: the -c STRING if present.
std::optional<std::string> shell_command_string(const std::vector<std::string>& argv);

}  // namespace agentguard::policy::detail
