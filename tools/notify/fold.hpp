#pragma once
// Burst folding: an SDK retrying or an agent trying the same thing 50 times produces events with
// the same rule id and argv. Those within the fold window of the burst's first event go out as
// one notification with a count and the list of event ids.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agentguard::notify {

// Identifies "the same thing again": rule id plus exact (redacted) argv, or the http operation.
std::string fold_key(const nlohmann::json& event);

// Milliseconds since the epoch of an RFC 3339 UTC time ("2026-11-26T03:40:01.123Z"); -1 if unparsable.
int64_t parse_event_time_ms(const std::string& time);

// Groups events (given oldest first) into bursts: indices into `events`, each group oldest first,
// groups ordered by their first event.
std::vector<std::vector<size_t>> fold_events(const std::vector<nlohmann::json>& events, int window_seconds);

}  // namespace agentguard::notify
