#pragma once
// Turning the gate's command line and environment into a policy request, and back into an exec.
#include <string>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::gate {

// argv as the preload hands it over: [gate, resolved_path, argv0, argv1, ...].
// Throws std::invalid_argument when the protocol is not followed.
policy::ExecRequest request_from_protocol(int argc, char** argv, char** envp);

// The environment for the real program: LD_PRELOAD restored from AGENTGUARD_CALLER_LD_PRELOAD.
std::vector<std::string> environment_for_program(const std::vector<std::string>& env);

// execve()s the real program. Only returns on failure, with the exit status a shell would give
// (127 for a missing program, 126 otherwise) after printing why.
int exec_program(const policy::ExecRequest& request);

// Renders argv the way a person would type it (quoted where needed), for messages.
std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace agentguard::gate
