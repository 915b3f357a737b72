#pragma once
// Starting a program inside a guarded session. The first program (the agent, or the command given to
// `run`) is started by agentguard itself, which has no hooks, so it applies the preload's rule here:
// a watched program goes through the gate, exactly as it would from inside the tree.
#include <string>
#include <vector>

#include "session.hpp"

namespace agentguard::cli {

// Replaces the current process. Returns only on failure, with 127 (not found) or 126, after printing why.
int exec_guarded(const Session& session, const std::vector<std::string>& argv, const std::vector<std::string>& env);

// fork + exec_guarded + wait, forwarding SIGTERM/SIGHUP and ignoring SIGINT/SIGQUIT (the child gets
// those from the terminal). Returns the child's exit status, or 128+signal.
int run_supervised(const Session& session, const std::vector<std::string>& argv, const std::vector<std::string>& env);

}  // namespace agentguard::cli
