#pragma once
// Webhook delivery of spooled events (libcurl). The gate only spools and wakes the notifier; this
// library, linked by the CLI, does the sending: `agentguard notify flush [--background]`,
// `agentguard notify test`, and `agentguard run` at exit through flush().
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace agentguard::notify {

struct Webhook {
  std::string name;    // for messages: "AGENTGUARD_WEBHOOK_URL[1]" or the policy's name for it
  std::string url;     // http:// or https://
  std::string format;  // json | slack | discord
  std::string secret;  // HMAC key; empty = requests are not signed
};

struct Config {
  std::vector<Webhook> webhooks;
  int fold_window_seconds = 60;  // same rule + argv within this window -> one notification
  // Where the human's approval page (`agentguard ui`) is, from [notify] approval_page: approval
  // requests then link to <approval_page>/requests/<id>. Empty: no link (nothing says where it is).
  std::string approval_page;
  // For the detached flusher of a guarded session: false once the session has ended, and the
  // flusher leaves (it retries no longer than its session lasts). Unset: only its lifetime bounds it.
  std::function<bool()> still_wanted;
};

// Webhooks from AGENTGUARD_WEBHOOK_URL (one or several, separated by spaces or commas; a URL may be
// prefixed with "json:", "slack:" or "discord:", otherwise Slack and Discord webhook hosts are
// recognised and anything else is json). The secret comes from AGENTGUARD_WEBHOOK_SECRET or the
// file named by AGENTGUARD_WEBHOOK_SECRET_FILE. Throws std::runtime_error on a bad URL, an
// unknown format or an unreadable secret file.
Config config_from_environment();

// The format a webhook URL gets when none is given, wherever the URL comes from (the environment or
// [notify]): slack for hooks.slack.com, discord for discord.com/api/webhooks, json otherwise.
std::string guess_format(const std::string& url);

// The text to show when no webhook is configured.
std::string how_to_configure();

// One HTTP POST of one notification.
struct SendResult {
  std::string webhook_name, url, format;
  std::vector<std::string> event_ids;  // the events this notification carried
  bool signed_request = false;
  long status = 0;     // HTTP status, 0 when no answer
  std::string error;   // transport error or "HTTP 500", empty when delivered
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
};

struct Notification;  // payload.hpp
// POSTs one notification to one webhook, signed when the webhook has a secret.
SendResult send_notification(const Webhook& hook, const Notification& notification, long timeout_ms);

struct FlushReport {
  std::vector<SendResult> sends;
  size_t delivered = 0;      // events that reached every webhook and left the spool
  size_t still_spooled = 0;  // events still waiting
  size_t unreadable = 0;     // spool files that could not be read
  bool busy = false;         // another flusher held the spool for the whole budget
};

// Delivers everything in the spool now (ignoring the retry schedule), folded into bursts, within
// `budget`. Safe to call while other flushers run (they take turns on <state>/notify.lock).
FlushReport flush(const Config& config, std::chrono::seconds budget);

// The detached flusher started by events::report(): one at a time (a second one exits at once);
// sends what is waiting, then stays around for a while to retry with backoff and to send held
// bursts, leaving when the spool is empty or after its lifetime.
void run_background_flusher(const Config& config);

}  // namespace agentguard::notify
