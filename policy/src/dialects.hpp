#pragma once
// The per-tool dialects: each fills words/flags/cwd of a ParsedCommand from its argv the way the
// tool's own parser does (see docs/policy.md, "Dialects").
#include <functional>
#include <string>

#include "parsed_command.hpp"

namespace agentguard::policy::detail {

struct OptionStyle {
  std::function<bool(const std::string&)> takes_value = [](const std::string&) { return false; };
  bool short_bundles = false;            // -abc means -a -b -c (cobra, yargs, getopt); Go's flag package: no
  bool double_dash_ends_options = true;  // "--" makes the rest positional
};

// Fills cmd.words and cmd.flags from cmd.argv[first...].
void parse_options(ParsedCommand& cmd, std::size_t first, const OptionStyle& style);

void parse_terraform(ParsedCommand& cmd);   // terraform and tofu
void parse_aws(ParsedCommand& cmd);
void parse_terragrunt(ParsedCommand& cmd);
void parse_pulumi(ParsedCommand& cmd);
void parse_cdk(ParsedCommand& cmd);
void parse_generic(ParsedCommand& cmd);     // any other program: --x=v, -x, positional words

// TF_CLI_ARGS / TF_CLI_ARGS_<sub> merged into args (argv without argv[0]) as terraform's main.go does.
std::vector<std::string> merge_terraform_env_args(const std::vector<std::string>& args,
                                                  const std::vector<std::string>& env,
                                                  std::vector<std::string>& notes);

}  // namespace agentguard::policy::detail
