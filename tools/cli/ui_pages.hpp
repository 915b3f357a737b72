#pragma once
// The approval page's HTML, rendered on the server (cmd_ui.cpp serves it). Every text that came
// from the agent - argv, cwd, messages, resource addresses, audit fields - goes through
// html_escape(); attributes are always double-quoted.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "approvals/approvals.hpp"

namespace agentguard::cli::ui {

std::string html_escape(const std::string& text);

struct TimelineFilter {
  std::string decision, rule;  // empty: all
};

struct NotificationHealth {
  size_t webhooks = 0;         // configured for this page's process
  size_t waiting = 0;          // events in the spool
  std::string last_error;      // of the oldest waiting event
  std::string last_delivered;  // time of the newest delivery, "" if none
};

struct SessionRow {
  std::string id, started;
  size_t webhooks = 0, events = 0;
  std::string last_event;
};

struct HomeData {
  std::vector<approvals::Request> requests;  // open and approved-not-yet-run, newest first
  std::vector<nlohmann::json> timeline;      // audit events, newest first, already filtered
  std::vector<std::string> decisions, rules; // every value seen, for the filter menus
  TimelineFilter filter;
  std::vector<SessionRow> sessions;
  NotificationHealth notifications;
  std::string csrf;
  std::string flash;  // the result of the last answer, shown once
};

std::string render_home(const HomeData& data);
std::string render_timeline(const HomeData& data);  // the part the page's script refreshes
std::string render_request_card(const approvals::Request& r, const std::string& csrf);
std::string render_message_page(const std::string& title, const std::string& text);

extern const char* const kStyle;   // /app.css
extern const char* const kScript;  // /app.js

}  // namespace agentguard::cli::ui
