#pragma once
// Splitting text into words and simple commands, the way a POSIX shell would for the common cases.
// Used for `sh -c STRING` / `su -c STRING` (best effort: no expansion, no here-documents),
// TF_CLI_ARGS values and aws CLI aliases.
#include <string>
#include <string_view>
#include <vector>

namespace agentguard::policy::detail {

struct SimpleCommand {
  std::vector<std::string> assignments;  // leading NAME=value words
  std::vector<std::string> words;        // the command and its arguments
};

// Words with quotes ('...', "...") and backslash escapes removed. On an unclosed quote, `error`
// gets the reason and the words so far are returned.
std::vector<std::string> split_words(std::string_view text, std::string* error = nullptr);

// Simple commands separated by ; & && || | newlines and ( ) { }. Assignments are split off the front.
std::vector<SimpleCommand> split_commands(std::string_view text, std::string* error = nullptr);

bool is_assignment(std::string_view word);  // NAME=value with a valid shell name

}  // namespace agentguard::policy::detail
