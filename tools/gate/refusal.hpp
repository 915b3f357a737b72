#pragma once
// What the gate does when it says no (or only records): the event, then the paragraph the agent reads.
#include <functional>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::gate {

inline constexpr int kRefusedStatus = 126;

// The one paragraph a refusal prints, first words fixed (protocol::kRefusalOpening):
//   agentguard: blocked `ARGV`DETAILS      (argv given)
//   agentguard: blocked: DETAILS           (no launch to name)
std::string refusal_paragraph(const std::vector<std::string>& argv, const std::string& details);
// The launch could not be decided at all (an error inside the gate): nothing was run.
std::string undecidable_paragraph(const std::string& why);

// Whether a webhook will carry the event to a human: the refusal only says "notified" when true.
// The check runs once, on first use (an allowed launch never needs it).
void set_webhook_check(std::function<bool()> check);
bool webhook_configured();

// Records the event and prints the refusal; returns kRefusedStatus. notify_humans=false: the audit
// log only (a refusal inside the approval flow, whose humans hear through the request's notification).
int refuse(const policy::ExecRequest& request, const policy::Decision& decision, bool notify_humans = true);

// The policy could not be loaded or evaluated: refuse, record and say what to fix.
int refuse_undecidable(const policy::ExecRequest& request, const std::string& why);

// Records a `log` decision without refusing.
void record(const policy::ExecRequest& request, const policy::Decision& decision);

}  // namespace agentguard::gate
