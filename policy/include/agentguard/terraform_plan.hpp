#pragma once
// Reading what terraform says a saved plan does: the output of `terraform show -json PLANFILE`.
// Parsing only; running terraform is the gate's (gate/plan_inspector.hpp).
#include <string_view>

#include "agentguard/model.hpp"

namespace agentguard::policy {

// resource_changes[].change.actions of `terraform show -json`. Throws std::runtime_error on
// malformed JSON or a change it cannot read: the caller must then refuse.
PlanSummary parse_plan_json(std::string_view json);

}  // namespace agentguard::policy
