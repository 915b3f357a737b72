#include "notify/payload.hpp"

#include <ctime>
#include <stdexcept>

namespace agentguard::notify {
using nlohmann::json;

namespace {

std::string field(const json& event, const char* key) {
  auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string shell_quote(const std::string& word) {
  if (word.empty()) return "''";
  bool plain = word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%[]") ==
               std::string::npos;
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string truncate(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = limit > 3 ? limit - 3 : 0;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return text.substr(0, cut) + "...";
}

// Inside a code span a backtick would end it early.
std::string code_safe(std::string text) {
  for (auto pos = text.find('`'); pos != std::string::npos; pos = text.find('`', pos)) text.replace(pos, 1, "'");
  return text;
}

std::string what(const json& event);

// "agentguard blocked terraform", "agentguard is holding terraform for approval", ...
std::string headline(const json& event, const std::string& subject) {
  std::string decision = field(event, "decision");
  if (decision == "deny") return "agentguard blocked " + subject;
  if (decision == "ask") return "agentguard is holding " + subject + " for approval";
  if (decision == "log") return "agentguard logged " + subject;
  if (decision == "allow") return "agentguard allowed " + subject;
  return "agentguard: " + (decision.empty() ? std::string("event") : decision) + ": " + subject;
}

std::string expiry_text(const json& approval) {
  if (!approval.contains("expires_unix") || !approval["expires_unix"].is_number()) return "";
  std::time_t when = static_cast<std::time_t>(approval["expires_unix"].get<int64_t>());
  std::tm utc{};
  ::gmtime_r(&when, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

std::string what(const json& event) {
  std::string program = field(event, "program");
  if (!program.empty()) return program;
  std::string service = field(event, "service");
  return service.empty() ? std::string("a command") : service;
}

std::string repeat_note(const Notification& n) {
  if (n.count() <= 1) return "";
  return std::to_string(n.count()) + " times between " + n.first_time + " and " + n.last_time;
}

json render_json(const Notification& n) {
  json payload = n.event;
  payload["schema"] = kJsonSchema;
  payload["count"] = n.count();
  payload["event_ids"] = n.event_ids;
  payload["first_time"] = n.first_time;
  payload["last_time"] = n.last_time;
  if (!n.approval.is_null()) payload["approval"] = n.approval;
  return payload;
}

json mrkdwn(const std::string& text) { return json{{"type", "mrkdwn"}, {"text", text}}; }

json render_slack(const Notification& n) {
  const json& e = n.event;
  json fields = json::array({
      mrkdwn("*Host*\n" + field(e, "host")),
      mrkdwn("*Directory*\n" + field(e, "cwd")),
      mrkdwn("*Rule*\n" + (field(e, "rule_id").empty() ? std::string("(none)") : field(e, "rule_id"))),
      mrkdwn("*User*\n" + field(e, "user")),
  });
  if (n.count() > 1) fields.push_back(mrkdwn("*Repeated*\n" + std::to_string(n.count()) + " times"));
  json blocks = json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"}, {"text", truncate(headline(e, what(e)), 150)}}}});
  blocks.push_back({{"type", "section"}, {"text", mrkdwn("*Command*\n```" + truncate(code_safe(command_line(e)), 2800) + "```")}});
  blocks.push_back({{"type", "section"}, {"fields", fields}});
  if (!field(e, "message").empty())
    blocks.push_back({{"type", "section"}, {"text", mrkdwn("*Why*\n" + truncate(field(e, "message"), 2900))}});
  if (!n.approval.is_null()) {
    std::string how = "*To approve*, run (valid until " + expiry_text(n.approval) + "):\n```" +
                      n.approval.value("approve_command", std::string()) + "```\n*To refuse:* `" +
                      n.approval.value("deny_command", std::string()) + "`";
    blocks.push_back({{"type", "section"}, {"text", mrkdwn(how)}});
  }
  std::string context = field(e, "time") + " | event " + field(e, "id");
  if (!field(e, "session").empty()) context += " | session " + field(e, "session");
  if (!field(e, "policy_file").empty()) context += " | policy " + field(e, "policy_file");
  if (n.count() > 1) context += " | " + repeat_note(n);
  blocks.push_back({{"type", "context"}, {"elements", json::array({mrkdwn(truncate(context, 2900))})}});
  return json{{"text", summary_line(n)}, {"blocks", blocks}};
}

json render_discord(const Notification& n) {
  const json& e = n.event;
  std::string content = "**" + headline(e, what(e)) + "**\n";
  content += "```\n" + truncate(code_safe(command_line(e)), 900) + "\n```\n";
  content += "**Where:** " + field(e, "host") + " `" + code_safe(field(e, "cwd")) + "` (user " + field(e, "user") + ")\n";
  content += "**Rule:** " + (field(e, "rule_id").empty() ? std::string("(none)") : field(e, "rule_id"));
  if (!field(e, "message").empty()) content += " - " + truncate(field(e, "message"), 500);
  content += "\n**When:** " + field(e, "time") + " (event " + field(e, "id") + ")";
  if (n.count() > 1) content += "\n**Repeated:** " + repeat_note(n);
  if (!n.approval.is_null()) {
    // The approval lines go first so that truncation can never cut the code off.
    std::string how = "**To approve** (until " + expiry_text(n.approval) + "): `" +
                      n.approval.value("approve_command", std::string()) + "`\n**To refuse:** `" +
                      n.approval.value("deny_command", std::string()) + "`\n";
    return json{{"content", how + truncate(content, 2000 - std::min<size_t>(how.size(), 1500))}};
  }
  return json{{"content", truncate(content, 2000)}};
}

}  // namespace

std::string Notification::dedupe_id() const {
  std::string id = event_ids.empty() ? field(event, "id") : event_ids.front();
  return approval.is_null() ? id : id + ":approval";
}

bool is_known_format(const std::string& format) { return format == "json" || format == "slack" || format == "discord"; }

Notification single_notification(const json& event) {
  Notification n;
  n.event = event;
  n.event_ids = {field(event, "id")};
  n.first_time = n.last_time = field(event, "time");
  return n;
}

std::string command_line(const json& event) {
  std::string line;
  if (auto argv = event.find("argv"); argv != event.end() && argv->is_array() && !argv->empty()) {
    for (const auto& word : *argv) {
      if (!line.empty()) line += ' ';
      line += shell_quote(word.is_string() ? word.get<std::string>() : word.dump());
    }
    return line;
  }
  for (const char* key : {"service", "operation", "endpoint"}) {
    std::string part = field(event, key);
    if (part.empty()) continue;
    if (!line.empty()) line += ' ';
    line += part;
  }
  return line;
}

std::string summary_line(const Notification& n) {
  const json& e = n.event;
  std::string line = headline(e, "`" + code_safe(truncate(command_line(e), 200)) + "`") + " on " + field(e, "host") +
                     " in " + field(e, "cwd");
  if (!field(e, "rule_id").empty()) line += " (rule " + field(e, "rule_id") + ")";
  if (n.count() > 1) line += " - " + std::to_string(n.count()) + " times";
  if (!n.approval.is_null()) line += " - approve with: " + n.approval.value("approve_command", std::string());
  return line;
}

json render_payload(const Notification& notification, const std::string& format) {
  if (format == "json") return render_json(notification);
  if (format == "slack") return render_slack(notification);
  if (format == "discord") return render_discord(notification);
  throw std::invalid_argument("unknown webhook format \"" + format + "\" (use json, slack or discord)");
}

}  // namespace agentguard::notify
