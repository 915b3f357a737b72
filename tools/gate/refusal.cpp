#include "refusal.hpp"

#include <cstdio>
#include <functional>
#include <optional>

#include "core/protocol.hpp"
#include "events/audit_only.hpp"
#include "events/event.hpp"
#include "gate/launch.hpp"

namespace agentguard::gate {

namespace {

std::function<bool()> g_webhook_check;
std::optional<bool> g_webhook_configured;

events::Event event_for(const policy::ExecRequest& request, const policy::Decision& decision) {
  events::Event ev = events::make_event();
  ev.kind = "exec";
  ev.argv = request.argv;
  ev.program = decision.program;
  ev.resolved_path = request.resolved_path;
  ev.decision = std::string(policy::to_string(decision.action));
  ev.rule_id = decision.rule_id;
  ev.policy_file = decision.source.to_string();
  ev.message = decision.message;
  return ev;
}

}  // namespace

void set_webhook_check(std::function<bool()> check) {
  g_webhook_check = std::move(check);
  g_webhook_configured.reset();
}
bool webhook_configured() {
  if (!g_webhook_configured) g_webhook_configured = g_webhook_check && g_webhook_check();
  return *g_webhook_configured;
}

int refuse(const policy::ExecRequest& request, const policy::Decision& decision, bool notify_humans) {
  events::Event ev = event_for(request, decision);
  ev.decision = "deny";
  const std::string id = ev.id;
  // The doctor's canary proves the guard is live; it is not an event anyone needs to hear about.
  const bool recorded = decision.rule_id == "agentguard-canary" ||
                        (notify_humans ? events::report(ev) : events::record_in_audit_log(ev));
  // What really would have run, when it differs from what was typed (TF_CLI_ARGS, sudo, an interpreter).
  std::string effective;
  if (!decision.effective_argv.empty() && decision.effective_argv != request.argv)
    effective = ", which runs `" + shell_quote(decision.effective_argv) + "`";
  std::string outcome;
  if (!recorded) outcome = "The event could not be recorded; tell the person responsible for this session.";
  else if (notify_humans && webhook_configured()) outcome = "Recorded as event " + id + "; a human has been notified.";
  else outcome = "Recorded as event " + id + " in the audit log.";
  std::fputs(refusal_paragraph(request.argv, effective + " (rule " + decision.rule_id + ", " +
                                                 decision.source.to_string() + "). " + decision.message + " " + outcome)
                 .c_str(),
             stderr);
  return kRefusedStatus;
}

std::string refusal_paragraph(const std::vector<std::string>& argv, const std::string& details) {
  const std::string opening = protocol::kRefusalOpening;
  if (argv.empty()) return opening + ": " + details + "\n";
  return opening + " `" + shell_quote(argv) + "`" + details + "\n";
}

std::string undecidable_paragraph(const std::string& why) {
  return refusal_paragraph({}, "the guard could not decide this launch (" + why + "). Nothing was run.");
}

int refuse_undecidable(const policy::ExecRequest& request, const std::string& why) {
  policy::Decision decision;
  decision.action = policy::Action::deny;
  decision.rule_id = "guard-error";
  decision.source.file = "agentguard";
  decision.message = "The guard could not decide (" + why +
                     "), so nothing was run. Ask a human to fix the policy; `agentguard policy check` shows what is wrong.";
  return refuse(request, decision);
}

void record(const policy::ExecRequest& request, const policy::Decision& decision) {
  events::report(event_for(request, decision));
}

}  // namespace agentguard::gate
