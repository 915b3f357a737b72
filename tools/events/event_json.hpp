#pragma once
// The event as JSON: the one field naming used by the audit log, the spool and the webhook payload.
#include <nlohmann/json.hpp>
#include <string>

#include "events/event.hpp"

namespace agentguard::events {

nlohmann::json to_json(const Event& event);
// Missing fields keep their defaults; a field of the wrong type throws nlohmann::json::exception.
Event event_from_json(const nlohmann::json& json);

// Canonical form used for hashing: keys sorted (nlohmann's object is ordered by key), no
// whitespace, invalid UTF-8 replaced rather than thrown on.
std::string canonical_json(const nlohmann::json& json);

}  // namespace agentguard::events
