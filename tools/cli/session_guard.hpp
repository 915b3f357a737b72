#pragma once
// What `agentguard run` fixes and protects before the agent starts (issue 15, docs/threat-model.md
// "The guard protects itself"):
// - the human channel: the webhooks (URL, format, secret) of run's own environment and of the
//   policy layers it loaded go into the session record, <state>/sessions/<id>.json; inside the tree
//   they come from there only, never from a launch's environment;
// - the guard's own files: the state directory, the policy layers in force and the webhook secret
//   files become protected paths (AGENTGUARD_PROTECT), and the session record, the state key and the
//   secret files sealed (AGENTGUARD_SEALED: not even readable by a guarded process);
// - the agent's environment loses the webhook variables (it has no use for them; a secret in its
//   environment is a secret it can read).
#include <string>
#include <vector>

#include "agentguard/policy.hpp"
#include "session.hpp"

namespace agentguard::cli {

// The variables taken out of the agent's environment.
const std::vector<std::string>& channel_variables();

// Writes the session record and sets session.vars' AGENTGUARD_PROTECT and AGENTGUARD_SEALED.
// Throws std::runtime_error (with what to do) when the guard's files cannot be protected.
void guard_session_files(Session& session, const policy::Policy& policy, const std::string& state_dir);

// Removes the session record when the session ends (its detached notifiers then stop).
void end_session_record(const std::string& session_id);

}  // namespace agentguard::cli
