#pragma once
// Which webhooks are notified (no libcurl: the gate links this too). A guarded session's are fixed when it starts (session_guard.hpp);
// outside a session, AGENTGUARD_WEBHOOK_URL and the policy's [notify] tables. Duplicates are dropped.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"
#include "notify/notify.hpp"

namespace agentguard::notify {

// Inside a guarded session (AGENTGUARD_SESSION set): the webhooks recorded when the session
// started, and nothing from the current environment or the policy files (a launch's environment
// and the project file are the agent's). Outside: AGENTGUARD_WEBHOOK_URL and the policy's [notify].
Config notify_settings();

// The webhooks `agentguard run` fixes for its session: its own environment's and the [notify]
// tables of the policy it loaded. The secret files read are added to `secret_files`, the names of
// the variables the secrets were read from (`secret_env`) to `secret_vars` when given.
Config session_channel(const policy::Policy& policy, std::vector<std::string>* secret_files,
                       std::vector<std::string>* secret_vars = nullptr);

// What the session record says (empty when there is none). Separated mode: what the session
// registered with the service at its start.
Config recorded_session_channel(const std::string& session_id);
bool session_record_exists(const std::string& session_id);

// Whether a refusal or a hold reaches a human at once: inside a session, its recorded channel has a
// webhook; outside, AGENTGUARD_WEBHOOK_URL or a [notify] table of `policy` names one. The one
// answer to that question: the gate's messages ("a human has been notified") and the CLI's use it.
bool channel_configured(const policy::Policy* policy);

// A channel as JSON and back: the session record, and the approval request the gate hands its
// detached notifier (so the human hears of a request even when the session has ended by then).
nlohmann::json channel_to_json(const Config& channel);
Config channel_from_json(const nlohmann::json& j);

}  // namespace agentguard::notify
