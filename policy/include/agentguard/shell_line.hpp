#pragma once
// A shell command line cut into its simple commands, the way the guard itself reads `sh -c` strings
// (policy/src/shell_words.hpp): quotes and escapes removed, no expansion. `agentguard policy explain
// --shell LINE` uses it to explain each command an agent's shell tool would launch.
#include <string>
#include <string_view>
#include <vector>

namespace agentguard::policy {

struct ShellCommand {
  std::vector<std::string> assignments;  // leading NAME=value words
  std::vector<std::string> words;        // the command and its arguments
};

// Throws std::invalid_argument for a line the guard cannot read (an unclosed quote).
std::vector<ShellCommand> split_shell_line(std::string_view line);

}  // namespace agentguard::policy
