#pragma once
// What a webhook receives. One notification carries one event, or a folded burst of events with
// the same rule and argv (count > 1, every event id listed).
//
//  json    (docs/notifications.md, schema "agentguard.event/1"): every event field at the top
//          level plus schema, count, event_ids, first_time, last_time;
//  slack   incoming-webhook message: `text` (the one-line summary, also used for phone
//          notifications) plus `blocks` (what, where, why, the command);
//  discord `content` (Markdown, at most 2000 characters).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agentguard::notify {

inline constexpr const char* kJsonSchema = "agentguard.event/1";

struct Notification {
  nlohmann::json event;                // the first event of the burst (redacted)
  std::vector<std::string> event_ids;  // every event folded in, oldest first
  std::string first_time, last_time;
  // For an approval request only (never spooled, never logged): {"id", "code", "expires_unix",
  // "approve_command", "deny_command"}; null otherwise.
  nlohmann::json approval;
  size_t count() const { return event_ids.size(); }
  // The X-Agentguard-Event-Id of this notification: the first event id, or "<id>:approval" for an
  // approval request (so receivers that drop duplicate events never drop the request with the code).
  std::string dedupe_id() const;
};

Notification single_notification(const nlohmann::json& event);

// Throws std::invalid_argument for an unknown format.
nlohmann::json render_payload(const Notification& notification, const std::string& format);

// "terraform destroy -auto-approve" with shell quoting where needed (or "s3 DeleteBucket ..." for http).
std::string command_line(const nlohmann::json& event);
// One line: "agentguard blocked `terraform destroy` on host in /dir (rule x)".
std::string summary_line(const Notification& notification);

bool is_known_format(const std::string& format);

}  // namespace agentguard::notify
