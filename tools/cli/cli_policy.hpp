#pragma once
// The policy layers as the policy commands (check, explain, show) load them.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::cli {

// The layers a guarded launch here would use (default, system, user, AGENTGUARD_POLICY, this
// directory's project policy), plus `extra_files`. A file named .agentguard.toml is checked as what
// it is: a tighten-only project layer.
policy::LoadOptions layer_options(const std::vector<std::string>& extra_files);

// The policy of those layers; on a PolicyError, says why and that the guard refuses every watched
// launch, and ends the command with status 1 (CLI::RuntimeError).
policy::Policy load_policy_or_exit(const std::vector<std::string>& extra_files);

}  // namespace agentguard::cli
