// The approval page's server (agentguard-ui, which `agentguard ui` starts), on the loopback
// interface, by cpp-httplib.
//
// Who can use it: the human who started it. It prints a one-time login link to its own terminal
// and keeps the link's secret only in memory - never in a file, the environment or argv. The
// link is good once: it sets a session cookie (HttpOnly, SameSite=Strict) and is then spent.
// Every other request needs that cookie; every answer also needs the session's CSRF token; the
// Host header must name this loopback address (no DNS rebinding); no page may be framed. Run
// inside a guarded tree it refuses, like every answering command: the agent would read the link.
#include "ui/approval_page.hpp"

#include <httplib.h>

#include <openssl/crypto.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "cli/answers.hpp"
#include "approvals/approvals.hpp"
#include "events/audit_log.hpp"
#include "events/spool.hpp"
#include "notify/settings.hpp"
#include "support/paths.hpp"
#include "cli/ui_pages.hpp"

namespace agentguard::ui_server {

namespace fs = std::filesystem;
using nlohmann::json;
namespace ui = agentguard::cli::ui;
using agentguard::cli::approve_request;
using agentguard::cli::deny_request;
using agentguard::cli::open_request;

namespace {

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    const ssize_t n = getrandom(raw.data() + got, bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

bool same_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string mtime_text(const fs::path& p) {
  struct stat st {};
  if (stat(p.c_str(), &st) != 0) return "";
  std::tm utc{};
  gmtime_r(&st.st_mtime, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

class ApprovalPage {
 public:
  explicit ApprovalPage(std::string login_secret) : login_secret_(std::move(login_secret)) {}

  void set_origin(int port) {
    hosts_ = {"127.0.0.1:" + std::to_string(port), "localhost:" + std::to_string(port)};

    origin_ = "http://127.0.0.1:" + std::to_string(port);
  }

  std::string login_link(int port) const {
    return "http://127.0.0.1:" + std::to_string(port) + "/login/" + login_secret_;
  }

  void routes(httplib::Server& server) {
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Frame-Options", "DENY");
      res.set_header("Content-Security-Policy",
                     "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; "
                     "frame-ancestors 'none'; base-uri 'none'");
      // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on our own forms.
      res.set_header("Referrer-Policy", "same-origin");
      res.set_header("Cache-Control", "no-store");
      if (!hosts_.count(req.get_header_value("Host"))) {
        res.status = 421;
        res.set_content("wrong Host", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (req.path.rfind("/login/", 0) == 0 || req.path == "/app.css" || req.path == "/app.js")
        return httplib::Server::HandlerResponse::Unhandled;
      if (!session_of(req)) {
        res.status = 403;
        res.set_content(ui::render_message_page("Log in first",
                                                "Open the one-time link that `agentguard ui` printed in your terminal."),
                        "text/html; charset=utf-8");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });

    server.Get("/app.css", [](const httplib::Request&, httplib::Response& res) { res.set_content(ui::kStyle, "text/css"); });
    server.Get("/app.js", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(ui::kScript, "application/javascript");
    });

    server.Get(R"(/login/([0-9a-f]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      if (login_used_ || !same_secret(req.matches[1].str(), login_secret_)) {
        res.status = 403;
        res.set_content(ui::render_message_page("This link is spent",
                                                "A login link works once. Run `agentguard ui` again in your terminal for a new one."),
                        "text/html; charset=utf-8");
        return;
      }
      login_used_ = true;
      const std::string session = random_hex(32);
      sessions_[session] = random_hex(32);
      res.set_header("Set-Cookie", "agentguard_ui=" + session + "; Path=/; HttpOnly; SameSite=Strict");
      res.set_redirect("/", 303);
    });

    server.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
      res.set_content(ui::render_home(home(req)), "text/html; charset=utf-8");
    });
    server.Get("/live", [this](const httplib::Request& req, httplib::Response& res) {
      // The page's own refresh: it never takes the flash meant for the page a form redirects to.
      res.set_content(ui::render_home(home(req, /*take_flash=*/false)), "text/html; charset=utf-8");
    });
    server.Get(R"(/requests/([A-Za-z0-9_-]+))", [this](const httplib::Request& req, httplib::Response& res) {
      auto r = approvals::read_request(req.matches[1].str());
      if (!r) {
        res.status = 404;
        res.set_content(ui::render_message_page("No such request", req.matches[1].str()), "text/html; charset=utf-8");
        return;
      }
      ui::HomeData d = home(req);
      d.requests = {*r};
      res.set_content(ui::render_home(d), "text/html; charset=utf-8");
    });
    server.Post(R"(/requests/([A-Za-z0-9_-]+)/(approve|deny))", [this](const httplib::Request& req, httplib::Response& res) {
      const auto csrf = session_of(req);
      if (!csrf || !same_secret(req.get_param_value("csrf"), *csrf) ||
          (req.has_header("Origin") && req.get_header_value("Origin") != origin_)) {
        res.status = 403;
        res.set_content(ui::render_message_page("Refused", "This form did not come from this page."), "text/html; charset=utf-8");
        return;
      }
      const std::string id = req.matches[1].str();
      std::string why;
      auto request = open_request(id, &why);
      std::string flash;
      if (!request) {
        flash = why;
      } else if (req.matches[2].str() == "approve") {
        flash = approve_request(*request, req.get_param_value("code"), "page").message;
      } else {
        flash = deny_request(*request, req.get_param_value("reason"), "page").message;
      }
      {
        std::lock_guard lock(mutex_);
        flash_ = flash;
      }
      res.set_redirect("/", 303);
    });
  }

 private:
  // The CSRF token of the request's session, if it has one.
  std::optional<std::string> session_of(const httplib::Request& req) {
    const std::string cookies = req.get_header_value("Cookie");
    const std::string name = "agentguard_ui=";
    for (size_t pos = cookies.find(name); pos != std::string::npos; pos = cookies.find(name, pos + 1)) {
      if (pos != 0 && cookies[pos - 1] != ' ' && cookies[pos - 1] != ';') continue;
      const size_t start = pos + name.size();
      const std::string value = cookies.substr(start, cookies.find(';', start) - start);
      std::lock_guard lock(mutex_);
      for (const auto& [session, csrf] : sessions_)
        if (same_secret(value, session)) return csrf;
    }
    return std::nullopt;
  }

  ui::HomeData home(const httplib::Request& req, bool take_flash = true) {
    ui::HomeData d;
    d.csrf = session_of(req).value_or("");
    if (take_flash) {
      std::lock_guard lock(mutex_);
      d.flash.swap(flash_);
    }
    for (auto& r : approvals::all_requests()) {
      const auto s = approvals::state_of(r);
      if (s == approvals::State::holding || s == approvals::State::deferred || s == approvals::State::dead ||
          s == approvals::State::approved)
        d.requests.push_back(r);
    }
    d.filter.decision = req.get_param_value("decision");
    d.filter.rule = req.get_param_value("rule");
    const fs::path state = paths::state_dir();
    std::set<std::string> decisions, rules;
    std::map<std::string, ui::SessionRow> sessions;
    for (const auto& line : events::read_audit_lines(events::readable_audit_log(state), 2000)) {
      if (!line.record || !line.record->contains("event")) continue;
      const json& e = (*line.record)["event"];
      const std::string decision = e.value("decision", ""), rule = e.value("rule_id", ""), session = e.value("session", "");
      decisions.insert(decision);
      rules.insert(rule);
      if (!session.empty()) {
        auto& row = sessions[session];
        row.id = session;
        ++row.events;
        row.last_event = e.value("time", "");
      }
      if ((!d.filter.decision.empty() && decision != d.filter.decision) || (!d.filter.rule.empty() && rule != d.filter.rule)) continue;
      d.timeline.push_back(e);
    }
    std::reverse(d.timeline.begin(), d.timeline.end());
    if (d.timeline.size() > 200) d.timeline.resize(200);
    decisions.erase("");
    rules.erase("");
    d.decisions.assign(decisions.begin(), decisions.end());
    d.rules.assign(rules.begin(), rules.end());

    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(state / "sessions", ec)) {
      if (entry.path().extension() != ".json") continue;
      const std::string id = entry.path().stem().string();
      auto& row = sessions[id];
      row.id = id;
      row.started = mtime_text(entry.path());
      std::ifstream in(entry.path());
      const json j = json::parse(in, nullptr, false);
      if (j.is_object() && j.contains("webhooks") && j["webhooks"].is_array()) row.webhooks = j["webhooks"].size();
    }
    for (auto& [id, row] : sessions) d.sessions.push_back(row);
    std::sort(d.sessions.begin(), d.sessions.end(),
              [](const ui::SessionRow& a, const ui::SessionRow& b) { return a.started > b.started; });

    try {
      d.notifications.webhooks = notify::notify_settings().webhooks.size();
    } catch (const std::exception&) {
    }
    size_t unreadable = 0;
    const auto spooled = events::list_spool(state, &unreadable);
    d.notifications.waiting = spooled.size();
    if (!spooled.empty()) d.notifications.last_error = spooled.front().last_error;
    fs::path newest;
    for (const auto& entry : fs::directory_iterator(events::delivered_dir(state), ec))
      if (newest.empty() || fs::last_write_time(entry.path(), ec) > fs::last_write_time(newest, ec)) newest = entry.path();
    if (!newest.empty()) d.notifications.last_delivered = mtime_text(newest);
    return d;
  }

  std::mutex mutex_;
  std::string login_secret_;
  bool login_used_ = false;
  std::map<std::string, std::string> sessions_;  // session cookie -> its CSRF token
  std::set<std::string> hosts_;
  std::string origin_;
  std::string flash_;
};

// Whether webhook approval requests link here: only when [notify] approval_page names this address.
void print_link_note(int port) {
  const std::string here = "http://127.0.0.1:" + std::to_string(port);
  std::string configured;
  try {
    configured = notify::notify_settings().approval_page;
  } catch (const std::exception&) {
  }
  while (!configured.empty() && configured.back() == '/') configured.pop_back();
  if (configured == here || configured == "http://localhost:" + std::to_string(port))
    std::printf("Webhook approval requests link to this page ([notify] approval_page).\n");
  else if (!configured.empty())
    std::printf("Webhook approval requests link to %s ([notify] approval_page), which is not this page.\n", configured.c_str());
  else
    std::printf("Webhook approval requests link here once the policy says where the page is: [notify] approval_page = \"%s\" "
                "(and start the page with --port %d).\n", here.c_str(), port);
}


}  // namespace

int serve_approval_page(int port) {
  paths::ensure_state_dir();
  ApprovalPage page(random_hex(32));
  httplib::Server server;
  page.routes(server);
  const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) {
    std::fprintf(stderr, "agentguard: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  page.set_origin(bound);
  std::printf("agentguard: the approval page is at http://127.0.0.1:%d/\n", bound);
  std::printf("Log in once with: %s\n", page.login_link(bound).c_str());
  print_link_note(bound);
  std::fflush(stdout);
  server.listen_after_bind();  // until Ctrl-C
  return 0;
}

}  // namespace agentguard::ui_server
