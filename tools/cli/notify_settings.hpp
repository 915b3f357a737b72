#pragma once
// Which webhooks are notified. A guarded session's are fixed when it starts (session_guard.hpp);
// outside a session, AGENTGUARD_WEBHOOK_URL and the policy's [notify] tables. Duplicates are dropped.
#include <string>
#include <vector>

#include "agentguard/policy.hpp"
#include "notify/notify.hpp"

namespace agentguard::cli {

// Inside a guarded session (AGENTGUARD_SESSION set): the webhooks recorded when the session
// started, and nothing from the current environment or the policy files (a launch's environment
// and the project file are the agent's). Outside: AGENTGUARD_WEBHOOK_URL and the policy's [notify].
notify::Config notify_settings();

// The webhooks `agentguard run` fixes for its session: its own environment's and the [notify]
// tables of the policy it loaded. The secret files read are added to `secret_files`.
notify::Config session_channel(const policy::Policy& policy, std::vector<std::string>* secret_files);

// What the session record says (empty when there is none).
notify::Config recorded_session_channel(const std::string& session_id);
bool session_record_exists(const std::string& session_id);

}  // namespace agentguard::cli
