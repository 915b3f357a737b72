#pragma once
// A plain `terraform apply [flags]` split into the `plan -out` the gate runs and the
// `apply PLAN` it then runs (terraform 1.11's apply flags: internal/command/arguments/apply.go,
// extended.go, view.go). A flag it cannot place is an error: the gate refuses rather than guess.
#include <optional>
#include <string>
#include <vector>

namespace agentguard::gate {

enum class PlanMode { normal, destroy, refresh_only };

struct ApplyFlags {
  std::vector<std::string> plan_args;   // for `plan`: the plan-shaping flags plus the shared ones
  std::vector<std::string> apply_args;  // for `apply PLAN`: the shared and the apply-only ones
  bool auto_approve = false;
  bool json = false;
  bool no_color = false;
  PlanMode mode = PlanMode::normal;
  std::optional<std::string> state, state_out, backup;  // the last value of each, as Go's flag keeps it
};

// args: what follows `apply` (no saved plan among them). Throws std::runtime_error.
ApplyFlags split_apply_flags(const std::vector<std::string>& args);

}  // namespace agentguard::gate
