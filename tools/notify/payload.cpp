#include "notify/payload.hpp"
#include "agentguard/shell_quote.hpp"

#include <ctime>
#include <stdexcept>
#include <string_view>

namespace agentguard::notify {
using nlohmann::json;

namespace {

std::string field(const json& event, const char* key) {
  auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
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

// Slack mrkdwn gives `&`, `<` and `>` meaning (links, mentions such as <!here>), even inside code
// blocks: Slack requires them escaped in any text it did not write itself.
std::string slack_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

// Discord Markdown outside code: a backslash makes each of these characters literal, so agent text
// cannot make a masked link ([text](url)), a heading, a quote or a spoiler. Mentions are switched
// off for the whole message by allowed_mentions.
std::string discord_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\*_~`|>#[]()<-:@").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// A URL as a link target in any format: every byte outside RFC 3986's unreserved and reserved
// characters (and `|`, `<`, `>`, quotes, backslashes, spaces, controls) is percent-encoded, so the
// URL can neither end Slack's <url|text> or Discord's <url> early nor carry markup.
std::string link_target(const std::string& url) {
  static constexpr std::string_view kKeep =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=%";
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : url) {
    if (kKeep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

// The state line of an approval request's update (seq > 1): what the human decided, or that the
// time ran out. Empty for the opening message.
std::string approval_update(const json& approval) {
  if (!approval.is_object()) return "";
  const std::string status = approval.value("status", std::string("pending"));
  if (status == "pending") return "";
  const std::string id = approval.value("id", std::string());
  const std::string detail = approval.value("detail", std::string());
  std::string line;
  if (status == "approved") line = "approved";
  else if (status == "denied") line = "denied";
  else if (status == "expired") line = "expired: nobody answered in time; nothing ran";
  else if (status == "ran") line = "approved and run";
  else line = "closed";
  return "request " + id + " " + line + (detail.empty() ? "" : " (" + detail + ")");
}

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

// "audit record #12, chain hash 3f2a...": the receiver's anchor against a rewritten log.
std::string audit_note(const json& event) {
  if (!event.contains("audit") || !event["audit"].is_object()) return "";
  const json& a = event["audit"];
  if (!a.contains("seq") || !a["seq"].is_number_unsigned() || !a.contains("hash") || !a["hash"].is_string()) return "";
  return "audit record #" + std::to_string(a["seq"].get<uint64_t>()) + ", chain hash " + a["hash"].get<std::string>();
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
  const auto esc = [&e](const char* key) { return slack_escape(field(e, key)); };
  json fields = json::array({
      mrkdwn("*Host*\n" + esc("host")),
      mrkdwn("*Directory*\n" + esc("cwd")),
      mrkdwn("*Rule*\n" + (field(e, "rule_id").empty() ? std::string("(none)") : esc("rule_id"))),
      mrkdwn("*User*\n" + esc("user")),
  });
  if (n.count() > 1) fields.push_back(mrkdwn("*Repeated*\n" + std::to_string(n.count()) + " times"));
  json blocks = json::array();
  const std::string update = approval_update(n.approval);
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"},
                              {"text", truncate(update.empty() ? headline(e, what(e)) : "agentguard: " + update, 150)}}}});
  blocks.push_back({{"type", "section"},
                    {"text", mrkdwn("*Command*\n```" + truncate(slack_escape(code_safe(command_line(e))), 2800) + "```")}});
  blocks.push_back({{"type", "section"}, {"fields", fields}});
  if (!field(e, "message").empty())
    blocks.push_back({{"type", "section"}, {"text", mrkdwn("*Why*\n" + truncate(slack_escape(field(e, "message")), 2900))}});
  if (!n.approval.is_null() && update.empty()) {
    std::string how = "*To approve*, run (valid until " + expiry_text(n.approval) + "):\n```" +
                      slack_escape(n.approval.value("approve_command", std::string())) + "```\n*To refuse:* `" +
                      slack_escape(n.approval.value("deny_command", std::string())) + "`";
    // Only when the human configured where their approval page is ([notify] approval_page).
    if (const std::string page = n.approval.value("page_url", std::string()); !page.empty())
      how += "\n*Or answer on the approval page* (`agentguard ui` in your terminal serves it): <" +
             slack_escape(link_target(page)) + "|open this request>";
    blocks.push_back({{"type", "section"}, {"text", mrkdwn(how)}});
  }
  std::string context = esc("time") + " | event " + esc("id");
  if (!field(e, "session").empty()) context += " | session " + esc("session");
  if (!field(e, "policy_file").empty()) context += " | policy " + esc("policy_file");
  if (n.count() > 1) context += " | " + repeat_note(n);
  if (n.approval.is_object() && n.approval.contains("seq")) context += " | message " + n.approval["seq"].dump() + " of this request";
  if (const std::string audit = audit_note(e); !audit.empty()) context += " | " + audit;
  blocks.push_back({{"type", "context"}, {"elements", json::array({mrkdwn(truncate(context, 2900))})}});
  const std::string text = update.empty() ? summary_line(n) : "agentguard: " + update;
  return json{{"text", slack_escape(text)}, {"blocks", blocks}};
}

json render_discord(const Notification& n) {
  const json& e = n.event;
  const auto esc = [&e](const char* key) { return discord_escape(field(e, key)); };
  const std::string update = approval_update(n.approval);
  std::string content = "**" + discord_escape(update.empty() ? headline(e, what(e)) : "agentguard: " + update) + "**\n";
  content += "```\n" + truncate(code_safe(command_line(e)), 900) + "\n```\n";
  content += "**Where:** " + esc("host") + " `" + code_safe(field(e, "cwd")) + "` (user " + esc("user") + ")\n";
  content += "**Rule:** " + (field(e, "rule_id").empty() ? std::string("(none)") : esc("rule_id"));
  if (!field(e, "message").empty()) content += " - " + discord_escape(truncate(field(e, "message"), 500));
  content += "\n**When:** " + esc("time") + " (event " + esc("id") + ")";
  if (n.count() > 1) content += "\n**Repeated:** " + repeat_note(n);
  if (const std::string audit = audit_note(e); !audit.empty()) content += "\n**Audit:** " + audit;
  // No @everyone, @here, role or user pings from anything in the message.
  const json no_mentions = {{"parse", json::array()}};
  if (!n.approval.is_null() && update.empty()) {
    // The approval lines go first so that truncation can never cut the code off.
    std::string how = "**To approve** (until " + expiry_text(n.approval) + "): `" +
                      code_safe(n.approval.value("approve_command", std::string())) + "`\n**To refuse:** `" +
                      code_safe(n.approval.value("deny_command", std::string())) + "`\n";
    if (const std::string page = n.approval.value("page_url", std::string()); !page.empty())
      how += "**Or answer on the approval page** (`agentguard ui` in your terminal serves it): <" + link_target(page) + ">\n";
    return json{{"content", how + truncate(content, 2000 - std::min<size_t>(how.size(), 1500))}, {"allowed_mentions", no_mentions}};
  }
  return json{{"content", truncate(content, 2000)}, {"allowed_mentions", no_mentions}};
}

}  // namespace

std::string Notification::dedupe_id() const {
  std::string id = event_ids.empty() ? field(event, "id") : event_ids.front();
  if (approval.is_null()) return id;
  // Each state of a request is its own message: "<id>:approval" (pending, with the code), then
  // "<id>:approval:<seq>" for the updates, so a receiver that drops duplicates keeps them all.
  const int seq = approval.is_object() ? approval.value("seq", 1) : 1;
  return seq <= 1 ? id + ":approval" : id + ":approval:" + std::to_string(seq);
}


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
      line += policy::shell_quote(word.is_string() ? word.get<std::string>() : word.dump());
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
