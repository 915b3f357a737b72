#pragma once
// Which webhooks a guarded session notifies: the policy's [notify] table, the session's record of
// the webhooks `agentguard run` was started with (so an agent that scrubs its environment does not
// silence them), and AGENTGUARD_WEBHOOK_URL in the current environment. Duplicates are dropped.
#include <string>

#include "notify/notify.hpp"

namespace agentguard::cli {

notify::Config notify_settings();

// Called by `agentguard run`: remembers the webhooks of the starting environment for the session.
void remember_session_webhooks(const std::string& session_id);

}  // namespace agentguard::cli
