// Delivery passes over the spool: fold bursts, POST to every webhook, record the outcome durably.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <thread>

#include "support/paths.hpp"
#include "events/durable_file.hpp"
#include "events/spool.hpp"
#include "notify/backoff.hpp"
#include "notify/fold.hpp"
#include "notify/http_post.hpp"
#include "notify/notify.hpp"
#include "notify/payload.hpp"
#include "notify/signing.hpp"

namespace agentguard::notify {
namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kBackgroundLifetime = std::chrono::minutes(10);
constexpr auto kBackgroundPassBudget = std::chrono::seconds(60);

struct PassOptions {
  bool retry_all_now = true;  // ignore next_attempt_at
  bool hold_bursts = false;   // hold repeats of a burst already notified until its fold window ends
  SteadyClock::time_point deadline;
};

int64_t now_unix() { return static_cast<int64_t>(std::time(nullptr)); }

bool delivered_to(const events::SpoolEntry& entry, const std::string& url) {
  return std::find(entry.delivered_to.begin(), entry.delivered_to.end(), url) != entry.delivered_to.end();
}

bool complete(const events::SpoolEntry& entry, const Config& config) {
  return std::all_of(config.webhooks.begin(), config.webhooks.end(),
                     [&](const Webhook& hook) { return delivered_to(entry, hook.url); });
}

// When each burst (fold key) was last notified, so that repeats arriving later within the window
// are held and sent together. Kept across flusher processes.
fs::path fold_state_file(const fs::path& state) { return state / "notify-fold.json"; }

std::map<std::string, int64_t> load_fold_state(const fs::path& state, int window_seconds) {
  std::map<std::string, int64_t> sent;
  try {
    json saved = json::parse(events::read_whole_file(fold_state_file(state)));
    for (auto& [key, when] : saved.items())
      if (when.is_number_integer() && when.get<int64_t>() + window_seconds > now_unix()) sent[key] = when.get<int64_t>();
  } catch (const std::exception&) {
    // missing or damaged: at worst a repeat is notified on its own
  }
  return sent;
}

void save_fold_state(const fs::path& state, const std::map<std::string, int64_t>& sent) {
  try {
    events::write_file_durably(fold_state_file(state), json(sent).dump() + "\n");
  } catch (const std::exception& error) {
    spdlog::warn("cannot save the burst state: {}", error.what());
  }
}

// Takes <state>/notify.lock, retrying until the deadline.
std::unique_ptr<events::FileLock> lock_spool(const fs::path& state, SteadyClock::time_point deadline) {
  while (true) {
    auto lock = std::make_unique<events::FileLock>(state / "notify.lock", events::FileLock::Mode::try_once);
    if (lock->held()) return lock;
    if (SteadyClock::now() >= deadline) return nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Notification notification_for(const std::vector<events::SpoolEntry*>& members) {
  Notification n;
  n.event = members.front()->event;
  for (const auto* member : members) n.event_ids.push_back(member->id());
  n.first_time = members.front()->event.value("time", std::string());
  n.last_time = members.back()->event.value("time", std::string());
  return n;
}

}  // namespace

SendResult send_notification(const Webhook& hook, const Notification& n, long timeout_ms) {
  SendResult result;
  result.webhook_name = hook.name;
  result.url = hook.url;
  result.format = hook.format;
  result.event_ids = n.event_ids;
  result.signed_request = !hook.secret.empty();
  std::string body;
  try {
    body = render_payload(n, hook.format).dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const std::exception& error) {
    result.error = error.what();
    return result;
  }
  auto headers = request_headers(n.dedupe_id(), hook.secret, now_unix(), body);
  // An approval request's messages carry their order: receivers keep the highest sequence number.
  if (n.approval.is_object() && n.approval.contains("seq"))
    headers.push_back("X-Agentguard-Sequence: " + n.approval["seq"].dump());
  HttpAnswer answer = http_post(hook.url, body, headers, timeout_ms);
  result.status = answer.status;
  result.error = answer.error;
  return result;
}

namespace {

// One pass over the spool. The caller holds notify.lock.
FlushReport deliver_pass(const Config& config, const fs::path& state, const PassOptions& options) {
  FlushReport report;
  std::vector<events::SpoolEntry> entries = events::list_spool(state, &report.unreadable);
  if (config.webhooks.empty()) {  // nowhere to send: everything stays (and is never "complete")
    report.still_spooled = entries.size();
    return report;
  }
  const int64_t now = now_unix();

  std::vector<events::SpoolEntry*> due;
  for (auto& entry : entries) {
    if (complete(entry, config)) {  // e.g. delivered before a crash, or a webhook was removed
      events::mark_delivered(state, entry);
      ++report.delivered;
      continue;
    }
    if (options.retry_all_now || entry.next_attempt_at <= now) due.push_back(&entry);
  }

  std::vector<json> due_events;
  for (const auto* entry : due) due_events.push_back(entry->event);
  auto groups = fold_events(due_events, config.fold_window_seconds);

  auto burst_sent = load_fold_state(state, config.fold_window_seconds);
  bool burst_state_changed = false;
  std::map<std::string, std::string> unreachable;  // url -> the error that made us stop trying it
  bool out_of_time = false;

  for (const auto& group : groups) {
    std::vector<events::SpoolEntry*> members;
    for (size_t index : group) members.push_back(due[index]);
    std::string key = fold_key(members.front()->event);
    if (options.hold_bursts) {
      auto it = burst_sent.find(key);
      if (it != burst_sent.end() && it->second + config.fold_window_seconds > now) continue;  // sent with the burst later
    }

    bool failed = false, any_sent = false;
    for (const Webhook& hook : config.webhooks) {
      std::vector<events::SpoolEntry*> missing;
      for (auto* member : members)
        if (!delivered_to(*member, hook.url)) missing.push_back(member);
      if (missing.empty()) continue;
      if (auto down = unreachable.find(hook.url); down != unreachable.end()) {
        failed = true;
        for (auto* member : missing) member->last_error = hook.name + " (" + hook.url + "): " + down->second;
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(options.deadline - SteadyClock::now()).count();
      if (left < 1000) {
        out_of_time = true;
        break;
      }
      SendResult result = send_notification(hook, notification_for(missing), std::min<long>(kTotalTimeoutMs, static_cast<long>(left)));
      spdlog::info("{} {} ({} event(s)) -> {}", hook.url, result.ok() ? "delivered" : "failed", missing.size(),
                   result.ok() ? std::to_string(result.status) : result.error);
      if (result.ok()) {
        any_sent = true;
        for (auto* member : missing) member->delivered_to.push_back(hook.url);
      } else {
        failed = true;
        for (auto* member : missing) member->last_error = hook.name + " (" + hook.url + "): " + result.error;
        if (result.status == 0) unreachable.emplace(hook.url, result.error);  // down or hanging: skip it this pass
      }
      report.sends.push_back(std::move(result));
    }

    for (auto* member : members) {
      if (complete(*member, config)) {
        member->last_error.clear();
        events::mark_delivered(state, *member);
        ++report.delivered;
        continue;
      }
      if (failed) {
        ++member->attempts;
        member->next_attempt_at = now_unix() + backoff_delay_seconds(member->attempts, random_jitter());
      }
      if (failed || any_sent) events::save_spool_entry(*member);
    }
    if (any_sent) {
      burst_sent[key] = now_unix();
      burst_state_changed = true;
    }
    if (out_of_time) break;
  }
  if (burst_state_changed) save_fold_state(state, burst_sent);

  size_t unreadable_after = 0;
  report.still_spooled = events::list_spool(state, &unreadable_after).size();
  return report;
}

size_t waiting_count(const fs::path& state, const Config& config) {
  size_t waiting = 0;
  for (const auto& entry : events::list_spool(state))
    if (!complete(entry, config)) ++waiting;
  return waiting;
}

bool has_fresh_events(const fs::path& state, const Config& config) {
  for (const auto& entry : events::list_spool(state))
    if (entry.attempts == 0 && !complete(entry, config)) return true;
  return false;
}

}  // namespace

FlushReport flush(const Config& config, std::chrono::seconds budget) {
  FlushReport report;
  fs::path state = paths::ensure_state_dir();
  if (config.webhooks.empty()) {
    report.still_spooled = events::list_spool(state, &report.unreadable).size();
    return report;
  }
  auto deadline = SteadyClock::now() + budget;
  auto lock = lock_spool(state, deadline);
  if (!lock) {
    report.busy = true;
    report.still_spooled = events::list_spool(state, &report.unreadable).size();
    return report;
  }
  return deliver_pass(config, state, PassOptions{true, false, deadline});
}

void run_background_flusher(const Config& config) {
  if (config.webhooks.empty()) return;
  // Woken by report(), which spooled first: without a spool there is nothing to send, and the
  // state directory must not be re-created behind someone who just removed it.
  fs::path state = paths::state_dir();
  std::error_code ec;
  if (!fs::is_directory(events::spool_dir(state), ec)) return;
  bool first_pass = true;
  auto started = SteadyClock::now();
  while (true) {
    {
      events::FileLock singleton(state / "notify-flusher.lock", events::FileLock::Mode::try_once);
      if (!singleton.held()) return;  // the running flusher rescans the spool every second
      while (true) {
        {
          auto deadline = SteadyClock::now() + kBackgroundPassBudget;
          auto lock = lock_spool(state, deadline);
          if (lock) {
            // The first pass retries everything (a new event is the moment to retry old ones);
            // later passes follow the backoff schedule.
            deliver_pass(config, state, PassOptions{first_pass, true, deadline});
            first_pass = false;
          }
        }
        if (waiting_count(state, config) == 0) break;
        if (SteadyClock::now() - started > kBackgroundLifetime) return;
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
    // An event spooled while we were deciding to leave found the singleton lock taken; take it back.
    if (!has_fresh_events(state, config)) return;
    first_pass = true;
  }
}

}  // namespace agentguard::notify
