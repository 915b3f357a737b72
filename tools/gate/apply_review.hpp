#pragma once
// Steps 1 and 2 of a reviewed `terraform apply` (reviewed_apply.hpp): seal the saved plan, or make
// the plan of a plain apply; read it with `show -json`; decide it with the plan rules. The gate
// runs this before it holds, refuses or applies; `agentguard policy explain` runs the very same
// code to say what the gate would do, so the two cannot disagree about an apply.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agentguard/plan_rules.hpp"
#include "agentguard/policy.hpp"
#include "gate/apply_flags.hpp"
#include "gate/plan_review.hpp"

namespace agentguard::gate {

// Runs `terraform plan -out=/dev/fd/N ...` (path, argv, env) and returns its exit status. The gate
// runs it in the caller's foreground; explain runs it with no terminal input.
using PlanRunner = std::function<int(const std::string&, std::vector<std::string>, std::vector<std::string>)>;

struct ApplyReview {
  TerraformCall call;
  std::string dir;                       // terraform's working directory
  SealedPlan plan;                       // what would be applied (fd -1 when the plan failed)
  PlanReview review;                     // what show -json says it does, plus overwritten states
  std::optional<ApplyFlags> flags;       // set for a plain apply (no saved plan)
  std::vector<std::string> apply_args;   // apply's own flags, for `apply ARGS /dev/fd/N`
  int plan_status = 0;                   // terraform plan's status; not 0: nothing to review
};

// Throws std::runtime_error when the apply cannot be reviewed: the gate refuses it.
ApplyReview review_apply(const policy::ExecRequest& request, const policy::Decision& decision,
                         const PlanRunner& run_plan);

// The launch's decision once the plan rules have spoken: the deciding plan rule's action, id and
// source, and a message that says what the apply would do. `verdict.deciding` must be set.
policy::Decision plan_decision(policy::Decision decision, const policy::PlanVerdict& verdict);

}  // namespace agentguard::gate
