#include "agentguard/shell_line.hpp"

#include <stdexcept>

#include "shell_words.hpp"

namespace agentguard::policy {

std::vector<ShellCommand> split_shell_line(std::string_view line) {
  std::string error;
  auto commands = detail::split_commands(line, &error);
  if (!error.empty()) throw std::invalid_argument(error);
  std::vector<ShellCommand> out;
  out.reserve(commands.size());
  for (auto& c : commands) out.push_back({std::move(c.assignments), std::move(c.words)});
  return out;
}

}  // namespace agentguard::policy
