#pragma once
// Commands that run or judge a foreign command line (`run`, `shell`, `policy explain`) take it
// whole and untouched. CLI11 would parse the command's own options (`-la`, `--policy`, `--help`) as
// ours, so the command line is cut off before CLI11 sees the words: it starts after the first `--`,
// or at the first word that is not one of the subcommand's own options.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace agentguard::cli {

struct ForeignCommandLine {
  bool given = false;              // a command line was on agentguard's command line
  std::vector<std::string> words;  // exactly as given, empty words and `--` included
};

// Marks `command` as taking a foreign command line; its callback reads the returned holder.
std::shared_ptr<ForeignCommandLine> takes_command_line(CLI::App* command);

// The words CLI11 is to parse (argv[0] first). The command line, if any, is cut off and stored in
// the holder of the subcommand that the words before it select.
std::vector<std::string> cut_command_line(CLI::App& app, const std::vector<std::string>& argv);

}  // namespace agentguard::cli
