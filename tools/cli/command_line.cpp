#include "command_line.hpp"

#include <map>

namespace agentguard::cli {
namespace {

std::map<const CLI::App*, std::shared_ptr<ForeignCommandLine>>& holders() {
  static std::map<const CLI::App*, std::shared_ptr<ForeignCommandLine>> by_command;
  return by_command;
}

bool is_option_word(const std::string& word) { return word.size() > 1 && word[0] == '-'; }

// How many words `word` (an option of `command`) takes up: 2 when its value is the next word.
// Unknown options take one word, and CLI11 reports them.
std::size_t option_width(CLI::App* command, const std::string& word) {
  if (word.find('=') != std::string::npos) return 1;
  const CLI::Option* option = command->get_option_no_throw(word);
  return option != nullptr && option->get_items_expected_max() > 0 ? 2 : 1;
}

CLI::App* subcommand_named(CLI::App* parent, const std::string& word) {
  for (CLI::App* sub : parent->get_subcommands([](CLI::App*) { return true; }))
    if (sub->check_name(word)) return sub;
  return nullptr;
}

}  // namespace

std::shared_ptr<ForeignCommandLine> takes_command_line(CLI::App* command) {
  auto holder = std::make_shared<ForeignCommandLine>();
  holders()[command] = holder;
  return holder;
}

std::vector<std::string> cut_command_line(CLI::App& app, const std::vector<std::string>& argv) {
  CLI::App* current = &app;
  std::size_t i = 1;
  while (i < argv.size()) {
    const std::string& word = argv[i];
    const auto holder = holders().find(current);
    if (holder != holders().end()) {
      if (word == "--" || !is_option_word(word)) {
        const std::size_t first = word == "--" ? i + 1 : i;
        holder->second->given = true;
        holder->second->words.assign(argv.begin() + static_cast<long>(first), argv.end());
        return {argv.begin(), argv.begin() + static_cast<long>(i)};
      }
      i += option_width(current, word);
      continue;
    }
    if (word == "--") break;
    if (is_option_word(word)) {
      i += option_width(current, word);
    } else if (CLI::App* sub = subcommand_named(current, word)) {
      current = sub;
      ++i;
    } else {
      ++i;
    }
  }
  return argv;
}

}  // namespace agentguard::cli
