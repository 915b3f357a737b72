#pragma once
// The spool: every event waiting for delivery, one file per event, <state>/spool/<id>.json:
//   {"event": {...redacted event...},
//    "delivery": {"attempts": 0, "next_attempt_at": 0, "last_error": "", "delivered_to": []}}
// The file is written to a temp file, fsync'd, renamed and the directory fsync'd before any send
// is attempted, so an event survives a crash or a webhook that is down. Delivery state lives in the
// same file and is rewritten the same way. Delivered events move to <state>/delivered/.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agentguard::events {

std::filesystem::path spool_dir(const std::filesystem::path& state_dir);
std::filesystem::path delivered_dir(const std::filesystem::path& state_dir);

struct SpoolEntry {
  std::filesystem::path file;
  nlohmann::json event;               // the redacted event (see event_json.hpp)
  int attempts = 0;                   // failed delivery attempts so far
  int64_t next_attempt_at = 0;        // unix seconds; 0 = now
  std::string last_error;             // why the last attempt failed, for `agentguard notify flush`
  std::vector<std::string> delivered_to;  // webhook URLs that already answered 2xx

  std::string id() const { return event.value("id", std::string()); }
};

// Makes the event durable in the spool; throws std::runtime_error with the reason.
std::filesystem::path spool_event(const std::filesystem::path& state_dir, const nlohmann::json& event);

// Every spooled event, oldest first (by event time, then id). Unreadable files are skipped with a
// warning and counted in *unreadable when given.
std::vector<SpoolEntry> list_spool(const std::filesystem::path& state_dir, size_t* unreadable = nullptr);

// Rewrites the entry's delivery state durably.
void save_spool_entry(const SpoolEntry& entry);

// Moves the entry to <state>/delivered/ (keeping the newest 1000 there), out of the spool.
void mark_delivered(const std::filesystem::path& state_dir, const SpoolEntry& entry);

}  // namespace agentguard::events
