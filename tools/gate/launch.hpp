#pragma once
// Turning the gate's command line and environment into a policy request, and back into an exec.
#include <string>
#include <vector>

#include "agentguard/policy.hpp"
#include "agentguard/shell_quote.hpp"

namespace agentguard::gate {

// argv as the preload hands it over: [gate, resolved_path, argv0, argv1, ...].
// Throws std::invalid_argument when the protocol is not followed.
policy::ExecRequest request_from_protocol(int argc, char** argv, char** envp);

// The environment for the real program: LD_PRELOAD restored from AGENTGUARD_CALLER_LD_PRELOAD.
std::vector<std::string> environment_for_program(const std::vector<std::string>& env);

// Launches the real program the decision allowed. A dynamically linked program is execve()d (the
// preload comes back with LD_PRELOAD); one with no program interpreter (static, static-pie, Go)
// runs as the child of this process, which stays as its supervisor (supervisor.hpp). Returns
// only on failure, or with the supervised program's status, with the exit status a shell would
// give (127 for a missing program, 126 otherwise) after printing why.
// In decision-only mode (the supervisor's decision for a trapped exec) it launches nothing and
// returns 0: "allowed".
int exec_program(const policy::ExecRequest& request);

// execve of a launch the gate has decided; in a strict session it carries the session's token past
// the filter. Returns only on failure, with errno set.
void execve_decided(const char* path, char* const* argv, char* const* envp);

// Switches exec_program to decision-only mode for the rest of this process.
void set_decision_only();
bool decision_only();

using policy::shell_quote;  // the one quoting rule (agentguard/shell_quote.hpp)

}  // namespace agentguard::gate
