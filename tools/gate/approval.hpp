#pragma once
// The `ask` action: the gate holds the launch until a human approves or denies it from outside
// the guarded tree, or the time runs out (a deny).
//
// The one-time code exists only in the gate's memory and in the notification sent to the human:
// never on the agent's stdout/stderr, in its environment, or in a file. The request file the gate
// writes (approvals/<id>.request.json) holds no code and nothing derived from it; the human's
// `agentguard approve <id> <code>` writes approvals/<id>.response.json, which the gate reads,
// compares against its own copy and then closes (one response per request, first one wins).
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"
#include "events/event.hpp"

namespace agentguard::gate {

struct HeldLaunch {
  policy::ExecRequest request;
  policy::Decision decision;           // the rule that asked
  std::vector<std::string> resources;  // "delete terraform_data.a", ... (plan review)
  std::string plan_file, plan_sha256;  // saved plan bound to the approval
  // Re-checked after approval, right before the launch: returns "" if the launch is still exactly
  // what was approved, else why not (plan file swapped, plan changed).
  std::function<std::string()> still_the_same;
  // What runs once approved (an exit status if it returns); empty: exec the request as it is.
  std::function<int()> launch;
};

std::chrono::seconds approval_timeout();  // AGENTGUARD_APPROVAL_TIMEOUT (seconds), default 600

// Holds the launch. On approval runs `launch` or execs the program (does not return); otherwise returns the exit
// status to use (126) after telling the agent why.
int hold_for_approval(const HeldLaunch& held);

// A code people can read out and type: 8 characters without look-alikes, shown as XXXX-XXXX.
std::string new_approval_code();
// Case- and dash-insensitive comparison in constant time.
bool codes_equal(const std::string& expected, const std::string& given);

}  // namespace agentguard::gate
