#pragma once
// The seccomp supervisor: runs a program no preload can live in (static, static-pie, Go) so that
// every execve/execveat in its subtree still reaches the gate's decision.
//
// This process forks. The child sets no_new_privs, installs a filter that turns execve and
// execveat into seccomp user notifications, passes the listener to us over a socketpair, and execs
// the program. We stay its parent: for each trapped exec we read the path, argv and envp from the
// target, decide with decide_and_launch (in a forked decision-only child: dialects, TF_CLI_ARGS
// from the target's own envp, plan review, approvals, audit, webhooks), and answer CONTINUE or
// EACCES. The filter is inherited and cannot be removed, so the whole subtree stays covered.
// When the program exits we exit with its status.
#include <string>

#include "agentguard/policy.hpp"

namespace agentguard::gate {

// Does not return until the supervised program has exited; returns its exit status (a signal
// death is re-raised). If the kernel refuses user notification, the launch is refused (126).
int run_supervised(const policy::ExecRequest& request);

// Strict mode (`agentguard run --strict`): the whole session under the supervisor. The child
// installs the filter (execs carrying AGENTGUARD_STRICT's token pass without a notification,
// core/launch/strict_token.hpp) and then decides and launches `request` (the agent) as the preload's
// hand-off would; every exec below it is then seen, raw syscalls included. Returns the agent's
// exit status; 126 if the kernel refuses (nothing is started).
int run_strict_session(const policy::ExecRequest& request);

// Installs the same filter in a throw-away child and checks that a trapped call reaches us and
// can be continued. "" if it works, else why not (for `agentguard doctor` and the session start).
std::string probe_user_notification();

}  // namespace agentguard::gate
