#pragma once
// Which policy files are in force, above the built-in default, lowest layer first. Every command
// (run, env, shell, policy *, doctor, the notifier) and the gate read the layers through here, so
// they always agree.
#include <string>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::layers {

// The files a person names with AGENTGUARD_POLICY (':'-separated), or with its deprecated alias
// AGENTGUARD_POLICY_FILE (one warning on stderr per process). Only meaningful outside a guarded
// session: inside one, AGENTGUARD_POLICY is the session's fixed list (see files_for_session).
std::vector<std::string> files_from_environment();

// The system files and the user file (each only if it exists), then `explicit_files` (made
// absolute). A file already listed is not listed twice, so a session's own list can be passed back in.
std::vector<std::string> files_in_force(const std::vector<std::string>& explicit_files);

// Inside a guarded session (AGENTGUARD_SESSION set): the AGENTGUARD_POLICY list fixed by
// `agentguard run` (even empty: then only the built-in default is in force). Outside one:
// files_in_force(files_from_environment()).
std::vector<std::string> files_for_session();

// The layers a launch in `cwd` is decided with: the built-in default, files_for_session(), then
// the project's .agentguard.toml found from `cwd` upward (tighten-only).
policy::LoadOptions session_load_options(const std::string& cwd);

// ':'-joined, for AGENTGUARD_POLICY.
std::string join(const std::vector<std::string>& files);

}  // namespace agentguard::layers
