#include "approval_notices.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>

#include "commands.hpp"
#include "approvals/approvals.hpp"
#include "support/paths.hpp"
#include "events/event.hpp"
#include "events/event_json.hpp"
#include "events/redact.hpp"
#include "notify/backoff.hpp"
#include "notify/http_post.hpp"
#include "notify/notify.hpp"
#include "notify/payload.hpp"
#include "notify/settings.hpp"
#include "support/detached_spawn.hpp"

namespace agentguard::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path approvals_dir() { return paths::state_dir() / "approvals"; }

// How long a request's notifier keeps retrying an update that a webhook has not taken yet, once
// the request has ended: 10 minutes. AGENTGUARD_APPROVAL_NOTIFY_SECONDS can shorten it, never
// lengthen it (the tests use it to see the notifier give up without waiting 10 minutes).
std::int64_t retry_after_end_seconds() {
  constexpr std::int64_t kDefault = 600;
  const char* text = std::getenv("AGENTGUARD_APPROVAL_NOTIFY_SECONDS");
  if (!text || !*text) return kDefault;
  char* end = nullptr;
  const long long seconds = std::strtoll(text, &end, 10);
  return end && *end == '\0' && seconds > 0 && seconds < kDefault ? seconds : kDefault;
}

// Holds <id>.notify.lock for the lifetime of the object.
class RequestLock {
 public:
  explicit RequestLock(const std::string& id) {
    fd_ = open((approvals_dir() / (id + ".notify.lock")).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~RequestLock() {
    if (fd_ >= 0) close(fd_);
  }
  RequestLock(const RequestLock&) = delete;
  RequestLock& operator=(const RequestLock&) = delete;

 private:
  int fd_ = -1;
};

json read_delivered(const std::string& id) {
  std::ifstream in(approvals_dir() / (id + ".notified.json"));
  json j = json::parse(in, nullptr, false);
  return j.is_object() ? j : json::object();
}

void write_delivered(const std::string& id, const json& delivered) {
  const fs::path p = approvals_dir() / (id + ".notified.json");
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << delivered.dump();
    if (!out) return;  // the request is gone (its state directory removed): nothing to keep
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
}

// The request's state as a notification: its status name and sequence number.
std::pair<std::string, int> notice_state(const approvals::Request& r) {
  using approvals::State;
  switch (approvals::state_of(r)) {
    case State::holding:
    case State::deferred:
    case State::dead: return {"pending", 1};
    case State::approved: return {"approved", 2};
    case State::denied: return {"denied", 2};
    case State::expired: return {"expired", 2};
    case State::rejected: return {"closed", 2};
    case State::ran: return {"ran", 3};
  }
  return {"pending", 1};
}

// The event a notification about this request shows: what would run, where, and why.
json event_of(const approvals::Request& r) {
  events::Event ev = events::make_event();
  ev.id = r.id;
  ev.kind = r.resources.empty() ? "exec" : "plan";
  ev.argv = r.argv;
  ev.cwd = r.cwd;
  ev.program = r.program;
  ev.resources = r.resources;
  ev.decision = "ask";
  ev.rule_id = r.rule_id;
  ev.message = r.message;
  return events::to_json(events::redact_event(ev));
}

std::string detail_of(const approvals::Request& r) {
  if (auto outcome = approvals::read_outcome(r.id)) return outcome->detail;
  if (auto response = approvals::read_response(r.id)) {
    if (response->decision == "approve")
      return "approved by " + response->by + "; it runs once when the agent repeats the command";
    return "denied by " + response->by + (response->reason.empty() ? "" : ": " + response->reason);
  }
  return "";
}

// One pass: every webhook that has not yet seen `seq` gets the notification. Under the lock.
bool send_where_new(const notify::Config& config, const std::string& id, const notify::Notification& n, int seq) {
  json delivered = read_delivered(id);
  bool all = true;
  for (const auto& hook : config.webhooks) {
    const std::string key = hook.url + " " + hook.format;
    if (delivered.value(key, 0) >= seq) continue;
    auto result = notify::send_notification(hook, n, notify::kTotalTimeoutMs);
    std::cout << (result.ok() ? "sent    " : "FAILED  ") << hook.url << ": "
              << (result.ok() ? "HTTP " + std::to_string(result.status) : result.error) << std::endl;
    if (result.ok()) delivered[key] = seq;
    all = all && result.ok();
  }
  write_delivered(id, delivered);
  return all;
}

// Sends the request's current state where it is new, retrying with short backoff until every
// webhook took it or `until` passes. Returns the state sent.
std::pair<std::string, int> send_current_state(const notify::Config& config, const std::string& id, std::int64_t until) {
  for (int attempt = 1;; ++attempt) {
    bool done = false;
    std::pair<std::string, int> state{"pending", 1};
    {
      RequestLock lock(id);
      auto r = approvals::read_request(id);
      if (!r) return state;
      state = notice_state(*r);
      if (state.second <= 1) return state;  // still pending: the opening message covers it
      notify::Notification n = notify::single_notification(event_of(*r));
      n.approval = {{"id", id}, {"status", state.first}, {"seq", state.second}, {"detail", detail_of(*r)}};
      done = send_where_new(config, id, n, state.second);
    }
    if (done) return state;
    const int64_t wait = std::min<int64_t>(30, notify::backoff_delay_seconds(attempt, notify::random_jitter()) / 2 + 1);
    if (approvals::now_unix() + wait >= until) return state;
    std::this_thread::sleep_for(std::chrono::seconds(wait));
  }
}

}  // namespace

void start_approval_update(const std::string& id) {
  support::DetachedSpawn notifier{{paths::cli_program().string(), "notify", "send-approval-update", id}, std::nullopt, ""};
  try {
    notifier.env = paths::environment_for_helper();
  } catch (const std::exception&) {
  }
  support::spawn_detached(notifier);
}

void run_send_approval_update(const std::string& id) {
  if (!approvals::valid_id(id)) throw CLI::RuntimeError(2);
  notify::Config config = notify::notify_settings();
  if (config.webhooks.empty()) throw CLI::RuntimeError(1);
  send_current_state(config, id, approvals::now_unix() + retry_after_end_seconds());
}

// The gate pipes {event fields..., "approval": {...code...}} to us on stdin. The code goes to the
// humans only: it is never spooled or logged.
void run_send_approval_request() {
  json input;
  try {
    input = json::parse(std::string(std::istreambuf_iterator<char>(std::cin), {}));
  } catch (const std::exception& error) {
    std::cerr << "agentguard: notify send-approval-request: stdin is not JSON: " << error.what() << "\n";
    throw CLI::RuntimeError(2);
  }
  if (!input.is_object() || !input.contains("approval") || !input["approval"].is_object()) {
    std::cerr << "agentguard: notify send-approval-request: expected an event with an \"approval\" object on stdin\n";
    throw CLI::RuntimeError(2);
  }
  notify::Config config;
  try {
    // The gate hands over the channel it saw (the session's, fixed at its start): the session may
    // be over, and its record gone, by the time we read it ourselves.
    if (input.contains("channel")) config = notify::channel_from_json(input["channel"]);
    else config = notify::notify_settings();
    input.erase("channel");
  } catch (const std::exception& error) {
    std::cerr << "agentguard: " << error.what() << "\n";
    throw CLI::RuntimeError(2);
  }
  if (config.webhooks.empty()) {
    std::cerr << "agentguard: " << notify::how_to_configure() << "\n";
    throw CLI::RuntimeError(1);
  }
  json approval = input["approval"];
  input.erase("approval");
  notify::Notification notification;
  try {
    notification = notify::single_notification(events::to_json(events::redact_event(events::event_from_json(input))));
  } catch (const std::exception& error) {
    std::cerr << "agentguard: notify send-approval-request: the event on stdin is malformed: " << error.what() << "\n";
    throw CLI::RuntimeError(2);
  }
  if (input.contains("audit") && input["audit"].is_object()) notification.event["audit"] = input["audit"];
  const std::string id = approval.value("id", std::string());
  if (!approvals::valid_id(id)) throw CLI::RuntimeError(2);
  // The link to the request on the human's approval page, only where they said the page is.
  if (std::string page = config.approval_page; !page.empty()) {
    while (!page.empty() && page.back() == '/') page.pop_back();
    approval["page_url"] = page + "/requests/" + id;
  }
  notification.approval = approval;
  const int64_t expires = approval.value("expires_unix", int64_t{0});

  // 1. The opening message, while the request is still pending (a closed request skips it: its
  //    update is the news, and the code is of no use any more).
  for (int attempt = 1;; ++attempt) {
    bool done = false;
    {
      RequestLock lock(id);
      auto r = approvals::read_request(id);
      if (!r || notice_state(*r).second > 1) break;
      done = send_where_new(config, id, notification, 1);
    }
    if (done) break;
    const int64_t wait = std::min<int64_t>(30, notify::backoff_delay_seconds(attempt, notify::random_jitter()) / 2 + 1);
    if (approvals::now_unix() + wait >= expires) break;
    std::this_thread::sleep_for(std::chrono::seconds(wait));
  }
  // 2. Stay until the request leaves "pending" or expires (nobody else may be alive to say so:
  //    the gate gave the agent its turn back), then send that update.
  for (;;) {
    auto r = approvals::read_request(id);
    if (!r) return;
    if (notice_state(*r).second > 1 || approvals::now_unix() >= r->expires_unix) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (auto r = approvals::read_request(id); r && approvals::state_of(*r) == approvals::State::expired &&
                                              !approvals::read_outcome(id) && !approvals::read_response(id))
    approvals::write_outcome(id, "expired", "no decision before the deadline");
  send_current_state(config, id, approvals::now_unix() + retry_after_end_seconds());
}

}  // namespace agentguard::cli
