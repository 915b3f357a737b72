#pragma once
// An event: every decision other than a plain allow. The gate builds one (for a launch, a plan
// review, a hold, or a refused file or HTTP call the preload reports) and calls report(); everything
// else - redaction, the hash-chained audit log, the durable spool and waking the notifier - happens
// behind that one call.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace agentguard::events {

struct ProcessInfo {
  int pid = 0;
  std::string name;  // from /proc/<pid>/comm
};

struct Event {
  // Filled by make_event():
  std::string id;      // unique, e.g. "ev_20261126T034001Z_5f3a9c1e2b7d4a61"
  std::string time;    // RFC 3339 UTC with milliseconds
  std::string host, user, cwd;
  int pid = 0;
  std::vector<ProcessInfo> parents;  // nearest first, up to init or 16 levels
  std::string session;               // AGENTGUARD_SESSION

  // Filled by the caller:
  std::string kind = "exec";          // "exec" | "http" | "plan"
  std::vector<std::string> argv;      // exact argv (redacted before it is written anywhere)
  std::string program;                // canonical identity, e.g. "terraform"
  std::string resolved_path;          // for exec
  std::string service, operation, endpoint;  // for http
  std::vector<std::string> resources; // for plan: the addresses that would be deleted/replaced
  std::string decision;               // "deny" | "ask" | "log" | "allow"
  std::string rule_id, policy_file, message;
};

// Fills id, time, host, user, cwd, pid, parents and session for the calling process.
Event make_event();

// Redacts, appends to the audit log, makes the event durable in the spool and wakes the notifier.
// Never throws: a failure is written to stderr, and the caller's refusal stands regardless.
// Returns false if the event could not be made durable.
bool report(Event event);

// The event as JSON, with the field names used by the audit log, the spool and the webhooks
// (event_json.hpp has the reverse and the canonical form). Include <nlohmann/json.hpp> to use it.
nlohmann::json to_json(const Event& event);

}  // namespace agentguard::events
