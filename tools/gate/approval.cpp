#include "approval.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "approvals/approvals.hpp"
#include "events/audit_log.hpp"
#include "events/audit_only.hpp"
#include "core/protocol.hpp"
#include "support/paths.hpp"
#include "events/event_json.hpp"
#include "gate/launch.hpp"
#include "gate/refusal.hpp"
#include "notify/settings.hpp"
#include "service_client/service_client.hpp"
#include "support/detached_spawn.hpp"

namespace agentguard::gate {

using nlohmann::json;

namespace {

// Starts `agentguard notify <args...>` fully detached (support/detached_spawn.hpp), stdin fed from
// `input` when given. It outlives the gate: it sends the request, then its update when the request
// closes or expires.
void start_notifier(const std::vector<std::string>& args, const std::string& input) {
  support::DetachedSpawn notifier{{paths::cli_program().string(), "notify"}, std::nullopt, input};
  notifier.argv.insert(notifier.argv.end(), args.begin(), args.end());
  try {
    notifier.env = paths::environment_for_helper();
  } catch (const std::exception&) {
    // No usable state directory: the notifier says so in the audit log it cannot reach either;
    // it still gets this process's environment.
  }
  support::spawn_detached(notifier);
}

// The separated mode's session, whose notifications the service sends (service/delivery.hpp); "" otherwise.
std::string service_session() {
  const char* session = std::getenv(protocol::kEnvSession);
  return session && *session && service::mode().kind != service::Mode::same_user ? session : "";
}

// Tells every webhook the request's new state (in order: the notifier orders by sequence number).
void notify_update(const std::string& id) {
  if (!webhook_configured()) return;
  if (const std::string session = service_session(); !session.empty()) {
    try {
      service::call({{"op", "notify.approval_update"}, {"session", session}, {"id", id}});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "agentguard: could not have the agentguard service send the update of request %s: %s\n",
                   id.c_str(), e.what());
    }
    return;
  }
  start_notifier({"send-approval-update", id}, "");
}

events::Event event_for(const HeldLaunch& held, const std::string& decision, const std::string& message) {
  events::Event ev = events::make_event();
  ev.kind = held.resources.empty() ? "exec" : "plan";
  ev.argv = held.request.argv;
  ev.program = held.decision.program;
  ev.resolved_path = held.request.resolved_path;
  ev.resources = held.resources;
  ev.decision = decision;
  ev.rule_id = held.decision.rule_id;
  ev.policy_file = held.decision.source.to_string();
  ev.message = message;
  return ev;
}

// A refusal inside the approval flow: recorded in the audit log; the humans hear about it through
// the request's own notification (one per request), not a second one.
int refuse_in_flow(const HeldLaunch& held, const std::string& why) {
  policy::Decision d = held.decision;
  d.action = policy::Action::deny;
  d.message = why;
  return refuse(held.request, d, /*notify_humans=*/false);
}

void become_waiter(approvals::Request& r) {
  r.waiter_pid = getpid();
  r.waiter_start = approvals::process_start_ticks(r.waiter_pid);
  r.deferred = false;
  approvals::write_request(r);
}

// An approval is in: check it and run, exactly once. Returns only on refusal.
int run_approved(const HeldLaunch& held, const approvals::Request& r, const approvals::Response& response) {
  // The human's command checked the code before writing the answer; an answer without it was
  // written by someone else (the agent guessing): the request closes, so a guess is a single try.
  if (!r.code.hash_hex.empty() && !approvals::code_matches(r.code, response.code)) {
    approvals::write_outcome(r.id, "rejected", "an answer without the right approval code arrived; the request is closed");
    notify_update(r.id);
    return refuse_in_flow(held, "An approval arrived without the right code, so the request was closed and nothing ran. "
                                "Tell the person responsible.");
  }
  if (held.still_the_same) {
    if (std::string changed = held.still_the_same(); !changed.empty()) {
      approvals::write_outcome(r.id, "rejected", changed);
      notify_update(r.id);
      return refuse_in_flow(held, "It was approved, but " + changed + ", so nothing ran. The next run asks again.");
    }
  }
  if (!approvals::claim(r.id))
    return refuse_in_flow(held, "The approval of request " + r.id +
                                    " was already used by another launch; an approval runs one launch once.");
  approvals::write_outcome(r.id, "ran", "approved by " + response.who() + "; the launch ran once (process " +
                                            std::to_string(getpid()) + ")");
  events::record_in_audit_log(event_for(held, "approved", "request " + r.id + " approved by " + response.who()));
  notify_update(r.id);
  std::fprintf(stderr, "agentguard: approved by %s; running `%s` (request %s).\n", response.by.c_str(),
               shell_quote(held.request.argv).c_str(), r.id.c_str());
  return held.launch ? held.launch() : exec_program(held.request);
}

int denied(const HeldLaunch& held, const approvals::Request& r, const approvals::Response& response) {
  if (!approvals::read_outcome(r.id)) {
    approvals::write_outcome(r.id, "denied", "denied by " + response.who() + (response.reason.empty() ? "" : ": " + response.reason));
    notify_update(r.id);
  }
  std::string why = "A human, " + response.who() + ", denied it";
  why += response.reason.empty() ? "." : ": \"" + response.reason + "\".";
  return refuse_in_flow(held, why + " Nothing ran; do not run it again or work around it.");
}

}  // namespace

int hold_for_approval(const HeldLaunch& held, const HoldSettings& settings) {
  const std::string binding = approvals::binding_of(held.request.argv, held.request.cwd, held.plan_binding);
  const auto now = approvals::now_unix();

  approvals::Request request;
  bool is_new = true;
  if (auto existing = approvals::find_by_binding(binding)) {
    is_new = false;
    request = *existing;
    const auto response = approvals::read_response(request.id);
    const auto state = approvals::state_of(request);
    if (state == approvals::State::denied && response) return denied(held, request, *response);
    if (state == approvals::State::approved && response) return run_approved(held, request, *response);
  }

  std::string code;
  bool code_sent = true;  // false: the service would not send it (the separated mode)
  if (is_new) {
    events::Event ev = event_for(held, "ask", held.decision.message);
    request.id = ev.id;
    request.created_unix = now;
    request.expires_unix = now + settings.open_seconds;
    request.argv = held.request.argv;
    request.cwd = held.request.cwd;
    request.program = held.decision.program;
    request.rule_id = held.decision.rule_id;
    request.message = held.decision.message;
    request.resources = held.resources;
    request.stateful = held.stateful;
    request.plan_file = held.plan_file;
    request.plan_sha256 = held.plan_sha256;
    request.binding = binding;
    request.hold = settings.mode;
    try {
      if (webhook_configured()) {
        code = approvals::new_code();
        request.code = approvals::hash_code(code);
      }
      become_waiter(request);
    } catch (const std::exception& e) {
      return refuse_in_flow(held, std::string("The launch needs a human's approval, but the request could not be stored (") +
                                      e.what() + "), so it was not run.");
    }
    events::record_in_audit_log(ev);  // humans get the request itself, below
    if (!code.empty()) {
      json payload = events::to_json(ev);
      if (const json anchor = events::last_audit_anchor(); !anchor.is_null()) payload["audit"] = anchor;
      payload["approval"] = {{"id", ev.id},
                             {"code", code},
                             {"expires_unix", request.expires_unix},
                             {"status", "pending"},
                             {"seq", 1},
                             {"approve_command", "agentguard approve " + ev.id + " " + code},
                             {"deny_command", "agentguard deny " + ev.id + " --reason '...'"}};
      std::string text;
      if (const std::string session = service_session(); !session.empty()) {
        // The separated mode: the service sends it with the channel the session registered, from a
        // notifier of its own user (service/delivery.hpp).
        try {
          service::call({{"op", "notify.approval_request"}, {"session", session}, {"request", payload}});
        } catch (const std::exception& e) {
          code_sent = false;
          std::fprintf(stderr, "agentguard: the agentguard service could not send the approval request: %s\n", e.what());
        }
      } else {
        // The channel as it is now: the notifier may read it after the session (and its record) ended.
        try {
          payload["channel"] = notify::channel_to_json(notify::notify_settings());
        } catch (const std::exception&) {
          // The notifier looks the channel up itself and says what is wrong.
        }
        text = payload.dump();
        start_notifier({"send-approval-request"}, text);
      }
      // The code lives here only until the notifier (or the service) has it: wipe every copy (the hash stays).
      OPENSSL_cleanse(text.data(), text.size());
      auto& in_payload = payload["approval"]["code"].get_ref<std::string&>();
      OPENSSL_cleanse(in_payload.data(), in_payload.size());
      OPENSSL_cleanse(code.data(), code.size());
    }
  } else {
    try {
      become_waiter(request);
    } catch (const std::exception& e) {
      return refuse_in_flow(held, std::string("The approval request could not be updated (") + e.what() + "); nothing ran.");
    }
  }

  const bool waits_to_the_end = settings.mode == "wait";
  const auto deadline = waits_to_the_end ? request.expires_unix : std::min(request.expires_unix, now + settings.hold_seconds);
  const std::string who_answers =
      !code_sent ? "The notification could not be sent, so nobody was notified: a person must answer it from their own "
                   "terminal (`agentguard approvals`)."
      : !request.code.hash_hex.empty()
          ? "A notification with a one-time approval code is being sent to the person responsible."
          : "No webhook is configured, so nobody was notified: a person must answer it from their own terminal "
            "(`agentguard approvals`).";
  std::fprintf(stderr,
               "agentguard: holding `%s` for a human's approval (rule %s, request %s).%s%s %s This waits up to %s%s. "
               "Do not try another way around it.\n",
               shell_quote(held.request.argv).c_str(), held.decision.rule_id.c_str(), request.id.c_str(),
               held.resources.empty() ? "" : " It would: ",
               held.resources.empty() ? "" : (approvals::join(held.resources) + ".").c_str(), who_answers.c_str(),
               approvals::duration_text(deadline - now).c_str(),
               waits_to_the_end ? ", then counts as a refusal" : "");

  while (approvals::now_unix() < deadline) {
    if (auto response = approvals::read_response(request.id)) {
      if (response->decision == "approve") return run_approved(held, request, *response);
      return denied(held, request, *response);
    }
    if (auto outcome = approvals::read_outcome(request.id))
      return refuse_in_flow(held, "Request " + request.id + " was closed (" + outcome->detail + "); nothing ran.");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }

  if (waits_to_the_end || approvals::now_unix() >= request.expires_unix) {
    approvals::write_outcome(request.id, "expired", "no decision before the deadline");
    notify_update(request.id);
    return refuse_in_flow(held, "No human approved it within " + approvals::duration_text(request.expires_unix - request.created_unix) +
                                    ", so it counts as refused and nothing ran. " + held.decision.message);
  }
  // Give the agent its turn back before its tool gives up on us; the request stays open.
  if (auto latest = approvals::read_request(request.id)) request = *latest;
  request.waiter_pid = 0;
  request.waiter_start = 0;
  request.deferred = true;
  try {
    approvals::write_request(request);
  } catch (const std::exception&) {
    // Shown as dead instead of deferred; the answer still works the same way.
  }
  std::fprintf(stderr,
               "agentguard: pending approval %s; when a human approves, run the same command again. Nothing ran. The "
               "request stays open until %s; running it again before an answer waits up to %s more.\n",
               request.id.c_str(), approvals::clock_text(request.expires_unix, "%H:%M:%S UTC").c_str(),
               approvals::duration_text(settings.hold_seconds).c_str());
  return kRefusedStatus;
}

}  // namespace agentguard::gate
