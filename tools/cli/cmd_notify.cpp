// `agentguard notify test` and `agentguard notify flush`: webhook notifications.
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <iterator>
#include <memory>
#include <thread>

#include "approval_notices.hpp"
#include "core/protocol.hpp"
#include "commands.hpp"
#include "notify/settings.hpp"
#include "support/paths.hpp"
#include "events/event.hpp"
#include "events/event_json.hpp"
#include "events/redact.hpp"
#include "events/spool.hpp"
#include "notify/backoff.hpp"
#include "notify/http_post.hpp"
#include "notify/notify.hpp"
#include "notify/payload.hpp"

namespace agentguard::cli {
namespace {

// The webhooks in force: the environment's and the policy layers' [notify] tables (notify/settings.hpp).
notify::Config notify_config() { return notify::notify_settings(); }

notify::Config config_or_exit() {
  try {
    return notify_config();
  } catch (const std::exception& error) {
    std::cerr << "agentguard: " << error.what() << "\n";
    throw CLI::RuntimeError(2);
  }
}

std::string ids_text(const std::vector<std::string>& ids) {
  if (ids.empty()) return "";
  std::string text = ids.front();
  if (ids.size() > 1) text += " +" + std::to_string(ids.size() - 1) + " folded";
  return text;
}

events::Event sample_event() {
  events::Event event = events::make_event();
  event.kind = "exec";
  event.argv = {"terraform", "destroy", "-auto-approve"};
  event.program = "terraform";
  event.resolved_path = "/usr/local/bin/terraform";
  event.decision = "deny";
  event.rule_id = "agentguard.notify-test";
  event.policy_file = "(agentguard notify test)";
  event.message = "This is a test notification from `agentguard notify test`. Nothing was run or blocked.";
  return event;
}

void run_test() {
  notify::Config config = config_or_exit();
  if (config.webhooks.empty()) {
    std::cerr << "agentguard: " << notify::how_to_configure() << "\n";
    throw CLI::RuntimeError(1);
  }
  auto notification = notify::single_notification(events::to_json(events::redact_event(sample_event())));
  int failures = 0;
  for (const auto& hook : config.webhooks) {
    auto result = notify::send_notification(hook, notification, notify::kTotalTimeoutMs);
    std::cout << (result.ok() ? "ok      " : "FAILED  ") << hook.url << "  format=" << hook.format << "  "
              << (result.signed_request ? "signed" : "unsigned") << "  ";
    if (result.ok())
      std::cout << "HTTP " << result.status << "\n";
    else
      std::cout << result.error << "\n";
    if (!result.ok()) ++failures;
  }
  std::cout << (failures == 0 ? "all " + std::to_string(config.webhooks.size()) + " webhook(s) answered 2xx"
                              : std::to_string(failures) + " of " + std::to_string(config.webhooks.size()) +
                                    " webhook(s) failed")
            << " (event " << notification.event_ids.front() << ")\n";
  if (failures > 0) throw CLI::RuntimeError(1);
}

void print_waiting(const std::filesystem::path& state) {
  auto entries = events::list_spool(state);
  size_t shown = 0;
  for (const auto& entry : entries) {
    if (++shown > 10) {
      std::cout << "  ... and " << entries.size() - 10 << " more\n";
      break;
    }
    std::cout << "  " << entry.id() << "  attempts " << entry.attempts;
    if (entry.next_attempt_at > 0) {
      std::time_t when = static_cast<std::time_t>(entry.next_attempt_at);
      char stamp[32];
      std::strftime(stamp, sizeof stamp, "%H:%M:%S", std::gmtime(&when));
      std::cout << ", next automatic retry " << stamp << " UTC";
    }
    if (!entry.last_error.empty()) std::cout << ", last error: " << entry.last_error;
    std::cout << "\n";
  }
}

void run_flush(bool background, int budget_seconds) {
  if (background) {
    // Started detached by the gate: nobody reads our output, so nothing may escape as an error.
    try {
      notify::Config config = notify_config();
      if (const char* id = std::getenv(protocol::kEnvSession); id && *id) {
        const std::string session = id;
        config.still_wanted = [session] { return notify::session_record_exists(session); };
      }
      notify::run_background_flusher(config);
    } catch (const std::exception&) {
    }
    return;
  }
  notify::Config config = config_or_exit();
  std::filesystem::path state;
  try {
    state = paths::ensure_state_dir();
  } catch (const std::exception& error) {
    std::cerr << "agentguard: " << error.what() << "\n";
    throw CLI::RuntimeError(2);
  }
  auto report = notify::flush(config, std::chrono::seconds(budget_seconds));
  for (const auto& send : report.sends) {
    std::cout << (send.ok() ? "sent    " : "FAILED  ") << ids_text(send.event_ids) << " -> " << send.url << " ("
              << send.format << (send.signed_request ? ", signed" : "") << "): "
              << (send.ok() ? "HTTP " + std::to_string(send.status) : send.error) << "\n";
  }
  if (report.busy) std::cout << "another flusher kept the spool busy for the whole budget of " << budget_seconds << " s\n";
  if (config.webhooks.empty() && report.still_spooled > 0) {
    std::cout << report.still_spooled << " event(s) wait in " << events::spool_dir(state).string() << ", but "
              << notify::how_to_configure() << "\n";
    throw CLI::RuntimeError(1);
  }
  if (report.sends.empty() && report.delivered == 0 && report.still_spooled == 0 && report.unreadable == 0) {
    std::cout << "nothing to deliver: the spool is empty\n";
    return;
  }
  std::cout << "delivered " << report.delivered << " event(s); " << report.still_spooled << " still spooled in "
            << events::spool_dir(state).string() << "\n";
  if (report.unreadable > 0)
    std::cout << report.unreadable << " spool file(s) could not be read (see --log-level=warn output above)\n";
  if (report.still_spooled > 0) {
    print_waiting(state);
    std::cout << "They are retried on the next event, by `agentguard notify flush`, and when `agentguard run` exits.\n";
  }
  if (report.still_spooled > 0 || report.unreadable > 0) throw CLI::RuntimeError(1);
}

}  // namespace

void add_notify_commands(CLI::App& app) {
  auto* notify_cmd = app.add_subcommand("notify", "Webhook notifications to humans (Slack, Discord, JSON)");
  notify_cmd->require_subcommand(1);
  notify_cmd->footer("Examples:\n  agentguard notify test\n  agentguard notify flush\nConfiguration: docs/notifications.md");
  auto* test = notify_cmd->add_subcommand("test", "Send a sample event to every configured webhook and report each result");
  test->footer("Examples:\n  AGENTGUARD_WEBHOOK_URL=slack:https://hooks.slack.com/services/... agentguard notify test\n"
               "  agentguard notify test      # every webhook of the policy's [notify] table and the environment\n"
               "Exit status: 1 if any webhook failed or none is configured.");
  test->callback([] { run_test(); });

  auto* flush = notify_cmd->add_subcommand(
      "flush", "Deliver spooled events now; exit 1 if any is still undelivered");
  auto background = std::make_shared<bool>(false);
  auto budget = std::make_shared<int>(120);
  flush->add_flag("--background", *background, "Run as the detached notifier (used by the gate; prints nothing)");
  flush->add_option("--budget", *budget, "Give up after this many seconds")->capture_default_str()->check(CLI::Range(1, 3600));
  flush->footer("Examples:\n  agentguard notify flush\n  agentguard notify flush --budget 10\n"
                "Undelivered events stay in the spool and are retried by the next event, by this command and when\n"
                "`agentguard run` exits.");
  flush->callback([=] { run_flush(*background, *budget); });

  auto* approval = notify_cmd->add_subcommand(
      "send-approval-request", "Used by the gate: send the approval request read from stdin to every webhook");
  approval->group("");  // internal: hidden from --help
  approval->callback([] { run_send_approval_request(); });
  auto* update = notify_cmd->add_subcommand(
      "send-approval-update", "Used by the gate and `approve`/`deny`: send an approval request's new state");
  update->group("");
  auto update_id = std::make_shared<std::string>();
  update->add_option("id", *update_id, "The request id")->required();
  update->callback([update_id] { run_send_approval_update(*update_id); });
}

}  // namespace agentguard::cli
