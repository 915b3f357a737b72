#pragma once
// The separated mode's notifications, sent by the service (docs/threat-model.md, "The separated
// mode"): the agent user's gate hands an event, an approval request (with its one-time code) or an
// update to the service over the socket; the service spools and sends them with notifiers that run
// as the service's own user (`agentguard notify ...`), with the channel the session registered.
// So the agent's user can neither empty the spool before delivery nor read the webhook secrets.
//   <state>/sessions/<id>.json                     the registered channel (and its owner's uid)
//   <state>/deliveries/<id>/sessions/<id>.json     the same channel, for that session's flusher
//   <state>/deliveries/<id>/spool/                 the session's events waiting for delivery
#include <nlohmann/json.hpp>
#include <string>

namespace agentguard::service::delivery {

// Spools `event` for the session's humans and wakes its flusher. Throws std::runtime_error.
void deliver_event(const std::string& state_dir, const std::string& session, const nlohmann::json& channel,
                   const nlohmann::json& event);

// Sends an approval request (an event with its "approval" object, code included) to the session's
// channel at once; the code is in this process only until the notifier has it on its stdin.
void send_approval_request(const std::string& state_dir, const std::string& session, const nlohmann::json& channel,
                           nlohmann::json request);

// Tells the session's channel request `id`'s current state (<state>/approvals/).
void send_approval_update(const std::string& state_dir, const std::string& session, const std::string& id);

}  // namespace agentguard::service::delivery
