#pragma once
// The `ask` action: the gate holds the launch for a human, for at most the hold time, so that it
// fits inside an agent's tool timeout (Claude Code's Bash tool stops a command after 2 minutes by
// default). What happens then depends on the hold mode:
//
//   defer (default)  the launch returns 126 with "pending approval <id>; when a human approves, run
//                    the same command again". The request stays open. When the agent repeats
//                    exactly that launch (argv, cwd, plan) after an approval, it runs once.
//   wait             the launch waits until the request expires (scripts and CI that prefer it).
//
// The one-time code exists in the gate's memory and in the notification sent to the human; the
// request file holds a salted scrypt hash of it (approvals/approval_code.hpp). With no webhook there
// is no code, and only a human at a terminal outside the guarded tree can answer
// (`agentguard approve ID` confirms at /dev/tty).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::gate {

struct HoldSettings {
  std::string mode = "defer";       // defer | wait
  std::int64_t hold_seconds = 90;   // defer: how long one launch blocks
  std::int64_t open_seconds = 600;  // how long a request stays open for an answer
};

// The policy's [approval] table (hold, hold_seconds, open_seconds; later layers win), then
// AGENTGUARD_APPROVAL_HOLD ("wait" or seconds) and AGENTGUARD_APPROVAL_TIMEOUT (open seconds).
// Only how long a launch waits can be changed this way, never whether it runs. Throws
// std::runtime_error naming file:line:col for a bad value.
HoldSettings hold_settings(const policy::Policy* policy);

struct HeldLaunch {
  policy::ExecRequest request;
  policy::Decision decision;           // the rule that asked
  std::vector<std::string> resources;  // "delete terraform_data.a", ... (plan review)
  std::vector<std::string> stateful;   // the resources that hold data
  std::string plan_file, plan_sha256;  // saved plan bound to the approval
  // What the approval binds to besides argv and cwd: the saved plan's hash, or for a plain apply
  // the deletions and replacements it would make.
  std::string plan_binding;
  // Re-checked after approval, right before the launch: returns "" if the launch is still exactly
  // what was approved, else why not (plan file swapped, plan changed).
  std::function<std::string()> still_the_same;
  // What runs once approved (an exit status if it returns); empty: exec the request as it is.
  std::function<int()> launch;
};

// Holds the launch. On approval execs the program (does not return); otherwise returns the exit
// status to use (126) after telling the agent why.
int hold_for_approval(const HeldLaunch& held, const HoldSettings& settings);

}  // namespace agentguard::gate
