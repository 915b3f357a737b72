#pragma once
// A terraform (or tofu) command line as the policy normalised it (Decision::effective_argv:
// TF_CLI_ARGS merged, wrappers unwrapped), split the way terraform itself reads it: global options,
// the subcommand, then the subcommand's words, whose options Go's flag package reads (`-var x=y` is
// two words; the first word that is not an option, or `--`, ends them). The option table is the
// dialect's own (policy/src/terraform/options.hpp), so the gate and the policy cannot disagree.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace agentguard::policy {

struct TerraformCall {
  std::vector<std::string> globals;     // options before the subcommand: only -chdir=DIR after normalising
  std::string subcommand;               // "apply"
  std::vector<std::string> args;        // after the subcommand
  std::optional<std::size_t> plan_arg;  // index in args of the first positional word (a saved plan for apply)
};

TerraformCall split_terraform_call(const std::vector<std::string>& effective_argv);

}  // namespace agentguard::policy
