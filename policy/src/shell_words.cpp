#include "shell_words.hpp"

#include <cctype>

namespace agentguard::policy::detail {
namespace {

// Backquotes count as separators so that `cmd` substitutions are seen as commands of their own.
bool is_operator_char(char c) {
  return c == ';' || c == '&' || c == '|' || c == '\n' || c == '(' || c == ')' || c == '`';
}

// Tokenizes text; operator characters end a simple command when `commands` is true.
std::vector<SimpleCommand> tokenize(std::string_view text, bool commands, std::string* error) {
  std::vector<SimpleCommand> out(1);
  std::string word;
  bool in_word = false;
  auto finish_word = [&] {
    if (in_word) out.back().words.push_back(std::move(word));
    word.clear();
    in_word = false;
  };
  auto finish_command = [&] {
    finish_word();
    if (!out.back().words.empty()) out.emplace_back();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\\') {
      if (i + 1 < text.size()) {
        if (text[i + 1] != '\n') {
          word += text[i + 1];
          in_word = true;
        }
        i += 2;
      } else {
        ++i;
      }
    } else if (c == '\'') {
      std::size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        if (error) *error = "unclosed single quote";
        word.append(text.substr(i + 1));
        in_word = true;
        break;
      }
      word.append(text.substr(i + 1, end - i - 1));
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      std::size_t j = i + 1;
      bool closed = false;
      while (j < text.size()) {
        if (text[j] == '\\' && j + 1 < text.size() &&
            (text[j + 1] == '"' || text[j + 1] == '\\' || text[j + 1] == '$' || text[j + 1] == '`')) {
          word += text[j + 1];
          j += 2;
        } else if (text[j] == '"') {
          closed = true;
          ++j;
          break;
        } else {
          word += text[j++];
        }
      }
      if (!closed && error) *error = "unclosed double quote";
      in_word = true;
      i = j;
    } else if (c == ' ' || c == '\t' || (!commands && c == '\n')) {
      finish_word();
      ++i;
    } else if (commands && c == '#' && !in_word) {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (commands && is_operator_char(c)) {
      finish_command();
      ++i;
    } else if (commands && !in_word && (c == '{' || c == '}') &&
               (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1])) || c == '}')) {
      finish_command();  // a brace group's braces are reserved words, not commands
      ++i;
    } else {
      word += c;
      in_word = true;
      ++i;
    }
  }
  finish_word();
  if (out.back().words.empty()) out.pop_back();
  return out;
}

}  // namespace

bool is_assignment(std::string_view word) {
  std::size_t eq = word.find('=');
  if (eq == 0 || eq == std::string_view::npos) return false;
  if (std::isdigit(static_cast<unsigned char>(word[0]))) return false;
  for (std::size_t i = 0; i < eq; ++i) {
    char c = word[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

std::vector<std::string> split_words(std::string_view text, std::string* error) {
  auto commands = tokenize(text, false, error);
  return commands.empty() ? std::vector<std::string>{} : std::move(commands.front().words);
}

std::vector<SimpleCommand> split_commands(std::string_view text, std::string* error) {
  auto commands = tokenize(text, true, error);
  for (auto& command : commands) {
    std::size_t n = 0;
    while (n < command.words.size() && is_assignment(command.words[n])) ++n;
    command.assignments.assign(command.words.begin(), command.words.begin() + static_cast<long>(n));
    command.words.erase(command.words.begin(), command.words.begin() + static_cast<long>(n));
  }
  return commands;
}

}  // namespace agentguard::policy::detail
