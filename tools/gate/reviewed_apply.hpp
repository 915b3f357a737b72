#pragma once
// `terraform apply` / `tofu apply`: what runs is exactly what was reviewed.
//  - `apply [flags] PLANFILE`: the file is sealed into memory (plan_review.hpp), reviewed, and that
//    copy is applied.
//  - a plain `apply [flags]` becomes three steps:
//      1. the gate runs `terraform plan -out=/dev/fd/N [plan flags]` once, with the caller's stdin,
//         stdout and stderr and every inherited descriptor, so prompts, pipes, `-var-file=<(...)` and
//         FIFOs are read once, by that one plan; N is a memfd, so the plan never lies on disk;
//      2. it seals the memfd and reviews the plan (plan rules, state files overwritten by -state-out
//         or -backup), refusing or holding it for a human;
//      3. it asks terraform's own question unless -auto-approve (terraform asks nothing for a saved
//         plan), then execs `terraform apply [apply flags] /dev/fd/N`.
#include <functional>

#include "agentguard/plan_rules.hpp"
#include "agentguard/policy.hpp"
#include "gate/approval.hpp"

namespace agentguard::gate {

// Decides and runs the apply; returns an exit status when it does not exec terraform.
int run_reviewed_apply(const std::vector<policy::PlanRule>& rules, const policy::ExecRequest& request,
                       policy::Decision decision, const std::function<HoldSettings()>& holds);

}  // namespace agentguard::gate
