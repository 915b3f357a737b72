#pragma once
// Which policy files are in force, above the built-in default, lowest layer first.
#include <string>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::layers {

// The system file and the user file (each only if it exists), then `explicit_files`.
std::vector<std::string> files_in_force(const std::vector<std::string>& explicit_files);

// What a guarded process uses: the AGENTGUARD_POLICY list fixed by `agentguard run` when it is set
// (even empty: then only the built-in default is in force), otherwise files_in_force({}).
std::vector<std::string> files_for_session();

// The layers a guarded launch in `cwd` is decided with: the built-in default, files_for_session(),
// then the project's .agentguard.toml found from `cwd` (tighten-only).
policy::LoadOptions session_load_options(const std::string& cwd);

// ':'-joined, for AGENTGUARD_POLICY.
std::string join(const std::vector<std::string>& files);

}  // namespace agentguard::layers
