#pragma once
// Inside a running `agentguard run` session, what of the policy on disk the session cannot obey yet.
// The watch list and the compiled API rules are fixed when the session starts (the preload reads them
// from its environment, never from TOML); every other rule is re-read by the gate at each launch.
#include <string>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::cli {

// One line per difference, empty outside a session or when the session is current.
std::vector<std::string> session_drift(const policy::Policy& on_disk);

}  // namespace agentguard::cli
