#include "ui_pages.hpp"

#include <algorithm>
#include <ctime>

#include "agentguard/shell_quote.hpp"

namespace agentguard::cli::ui {

using nlohmann::json;

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

std::string field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string option(const std::string& value, const std::string& selected, const std::string& label) {
  return "<option value=\"" + html_escape(value) + "\"" + (value == selected ? " selected" : "") + ">" + html_escape(label) +
         "</option>";
}

std::string page(const std::string& title, const std::string& body) {
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
         "</title><link rel=\"stylesheet\" href=\"/app.css\"><script src=\"/app.js\" defer></script></head><body>" + body +
         "</body></html>";
}

}  // namespace

std::string render_request_card(const approvals::Request& r, const std::string& csrf) {
  const auto state = approvals::state_of(r);
  const bool open = state == approvals::State::holding || state == approvals::State::deferred || state == approvals::State::dead;
  std::string h = "<section class=\"request state-" + std::string(state == approvals::State::dead ? "dead" : "live") +
                  "\" id=\"req-" + html_escape(r.id) + "\" data-request-id=\"" + html_escape(r.id) + "\">";
  h += "<h3><a href=\"/requests/" + html_escape(r.id) + "\">" + html_escape(r.id) + "</a> <span class=\"badge\">" +
       html_escape(approvals::to_string(state)) + "</span></h3>";
  h += "<dl><dt>Command</dt><dd><code class=\"command\">" + html_escape(policy::shell_quote(r.argv)) + "</code></dd>";
  h += "<dt>Directory</dt><dd><code>" + html_escape(r.cwd) + "</code></dd>";
  h += "<dt>Rule</dt><dd>" + html_escape(r.rule_id) + "</dd>";
  h += "<dt>Why</dt><dd>" + html_escape(r.message) + "</dd>";
  h += "<dt>State</dt><dd>" + html_escape(approvals::describe(r, state)) + "</dd>";
  h += "<dt>Open until</dt><dd>" + html_escape(approvals::clock_text(r.expires_unix)) + "</dd></dl>";
  if (!r.resources.empty()) {
    h += "<h4>This apply would</h4><ul class=\"resources\">";
    for (const auto& res : r.resources) {
      const bool stateful = std::find(r.stateful.begin(), r.stateful.end(), res) != r.stateful.end();
      const bool destroys = res.rfind("delete ", 0) == 0 || res.rfind("replace ", 0) == 0;
      h += "<li class=\"" + std::string(stateful ? "stateful " : "") + (destroys ? "destroys" : "") + "\">" + html_escape(res) +
           (stateful ? " <strong>stateful: holds data</strong>" : "") + "</li>";
    }
    h += "</ul>";
  }
  if (open) {
    const std::string action = "/requests/" + html_escape(r.id);
    h += "<div class=\"answer\"><form method=\"post\" action=\"" + action + "/approve\" class=\"approve\">";
    h += "<input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(csrf) + "\">";
    if (!r.code.hash_hex.empty())
      h += "<label>One-time code from the notification <input name=\"code\" autocomplete=\"off\" required></label>";
    h += "<button type=\"submit\" class=\"approve-button\">Approve: run it once</button></form>";
    h += "<form method=\"post\" action=\"" + action + "/deny\" class=\"deny\">";
    h += "<input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(csrf) + "\">";
    h += "<label>Reason (the agent reads it) <input name=\"reason\" class=\"reason\"></label>";
    h += "<button type=\"submit\" class=\"deny-button\">Deny</button></form></div>";
  }
  return h + "</section>";
}

std::string render_timeline(const HomeData& d) {
  std::string h = "<table class=\"timeline\"><thead><tr><th>Time</th><th>Decision</th><th>Rule</th><th>Command</th>"
                  "<th>Directory</th></tr></thead><tbody>";
  for (const auto& e : d.timeline) {
    std::vector<std::string> argv;
    if (auto it = e.find("argv"); it != e.end() && it->is_array())
      for (const auto& w : *it) argv.push_back(w.is_string() ? w.get<std::string>() : w.dump());
    std::string what = policy::shell_quote(argv);
    if (what.empty()) what = field(e, "service") + " " + field(e, "operation");
    const std::string decision = field(e, "decision");
    h += "<tr class=\"decision-" + html_escape(decision) + "\"><td>" + html_escape(field(e, "time")) + "</td><td>" +
         html_escape(decision) + "</td><td>" + html_escape(field(e, "rule_id")) + "</td><td><code>" + html_escape(what) +
         "</code></td><td><code>" + html_escape(field(e, "cwd")) + "</code></td></tr>";
  }
  if (d.timeline.empty()) h += "<tr><td colspan=\"5\">No events match.</td></tr>";
  return h + "</tbody></table>";
}

std::string render_home(const HomeData& d) {
  std::string b = "<header><h1>agentguard approvals</h1><p class=\"note\">Loopback only; this browser session was opened with "
                  "the one-time link printed in your terminal.</p></header>";
  if (!d.flash.empty()) b += "<p class=\"flash\" id=\"flash\">" + html_escape(d.flash) + "</p>";
  b += "<h2>Waiting for a human</h2><div id=\"requests\">";
  if (d.requests.empty()) b += "<p class=\"empty\">Nothing is waiting for approval.</p>";
  for (const auto& r : d.requests) b += render_request_card(r, d.csrf);
  b += "</div>";

  b += "<h2>Notifications</h2><p id=\"notifications\" class=\"" +
       std::string(d.notifications.webhooks == 0 ? "warn" : d.notifications.waiting > 0 ? "warn" : "ok") + "\">";
  if (d.notifications.webhooks == 0) b += "No webhook is configured: nobody is notified; this page and `agentguard approvals` are the way to see requests.";
  else if (d.notifications.waiting > 0)
    b += html_escape(std::to_string(d.notifications.waiting) + " event(s) not yet delivered; last error: " + d.notifications.last_error);
  else b += html_escape(std::to_string(d.notifications.webhooks) + " webhook(s); everything delivered" +
                        (d.notifications.last_delivered.empty() ? "." : ", last at " + d.notifications.last_delivered + "."));
  b += "</p>";

  b += "<h2>Sessions</h2><table class=\"sessions\"><thead><tr><th>Session</th><th>Started</th><th>Webhooks</th><th>Events</th>"
       "<th>Last event</th></tr></thead><tbody>";
  for (const auto& s : d.sessions)
    b += "<tr><td>" + html_escape(s.id) + "</td><td>" + html_escape(s.started) + "</td><td>" + std::to_string(s.webhooks) +
         "</td><td>" + std::to_string(s.events) + "</td><td>" + html_escape(s.last_event) + "</td></tr>";
  if (d.sessions.empty()) b += "<tr><td colspan=\"5\">No sessions.</td></tr>";
  b += "</tbody></table>";

  b += "<h2>Audit log</h2><form method=\"get\" action=\"/\" id=\"filter\"><label>Decision <select name=\"decision\">" +
       option("", d.filter.decision, "all");
  for (const auto& v : d.decisions) b += option(v, d.filter.decision, v);
  b += "</select></label> <label>Rule <select name=\"rule\">" + option("", d.filter.rule, "all");
  for (const auto& v : d.rules) b += option(v, d.filter.rule, v);
  b += "</select></label> <button type=\"submit\">Filter</button></form><div id=\"timeline\">" + render_timeline(d) + "</div>";
  return page("agentguard approvals", b);
}

std::string render_message_page(const std::string& title, const std::string& text) {
  return page(title, "<h1>" + html_escape(title) + "</h1><p>" + html_escape(text) + "</p>");
}

const char* const kStyle = R"CSS(
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 70em; color: #1d1d1f; padding: 0 1em; }
code { font: 13px ui-monospace, monospace; background: #f3f3f5; padding: 0 .25em; word-break: break-all; }
.request { border: 1px solid #c9c9d1; border-left: 6px solid #d97706; border-radius: 6px; padding: .6em 1em; margin: 1em 0; }
.request.state-dead { border-left-color: #6b7280; }
.badge { font-size: 12px; background: #eef; border-radius: 3px; padding: 0 .4em; }
dl { display: grid; grid-template-columns: 8em 1fr; gap: .2em .8em; } dt { font-weight: 600; }
ul.resources li.destroys { color: #9a3412; } ul.resources li.stateful { color: #b91c1c; font-weight: 700; background: #fee2e2; }
.answer { display: flex; gap: 2em; flex-wrap: wrap; margin-top: .6em; } .answer form { display: flex; gap: .5em; align-items: end; }
.approve-button { background: #15803d; color: white; border: 0; padding: .45em 1em; border-radius: 4px; }
.deny-button { background: #b91c1c; color: white; border: 0; padding: .45em 1em; border-radius: 4px; }
.flash { background: #ecfdf5; border: 1px solid #10b981; padding: .5em 1em; }
.warn { color: #92400e; } .ok { color: #166534; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; border-bottom: 1px solid #e5e5ea; padding: .25em .5em; vertical-align: top; }
tr.decision-deny td:nth-child(2) { color: #b91c1c; font-weight: 600; } tr.decision-ask td:nth-child(2) { color: #b45309; }
.note { color: #6b7280; font-size: 13px; }
)CSS";

// A little JS: the audit log and the notification line refresh themselves; the requests refresh
// too unless the human is typing into one of their forms.
const char* const kScript = R"JS(
async function refresh() {
  try {
    const r = await fetch('/live' + location.search, {credentials: 'same-origin'});
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
    for (const id of ['timeline', 'notifications', 'requests']) {
      const now = document.getElementById(id), next = doc.getElementById(id);
      if (!now || !next) continue;
      if (id === 'requests' && now.contains(document.activeElement) && document.activeElement.tagName === 'INPUT') continue;
      if (now.innerHTML !== next.innerHTML) now.replaceWith(next);
    }
  } catch (e) {}
}
setInterval(refresh, 2000);
)JS";

}  // namespace agentguard::cli::ui
