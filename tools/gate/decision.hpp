#pragma once
// The one decision function for a launch: policy, dialects, plan review and approvals for apply,
// audit and webhooks. It ends by launching (exec_program), holding, or refusing; it returns the
// exit status to use when it does not exec.
#include "agentguard/policy.hpp"

namespace agentguard::gate {

int decide_and_launch(const policy::ExecRequest& request);

}  // namespace agentguard::gate
