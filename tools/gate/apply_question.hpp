#pragma once
// Terraform's own "Do you want to perform these actions?" for an apply without -auto-approve.
// Terraform does not ask before applying a saved plan, so when the gate turns `terraform apply` into
// `plan -out` + `apply PLAN` it asks the question itself, worded, coloured and read exactly as
// terraform 1.11 does (internal/backend/local/backend_apply.go, internal/command/ui_input.go):
// the query and description on stdout, one line read from stdin, only "yes" (trailing white space
// trimmed) approves, and end of input before a newline is an error - also with -input=false.
#include <string>

#include "gate/apply_flags.hpp"

namespace agentguard::gate {

// The workspace terraform would name in the question: TF_WORKSPACE, else <data dir>/environment.
std::string current_workspace(const std::vector<std::string>& env, const std::string& working_dir);

// Returns 0 when the answer was "yes"; otherwise prints what terraform prints ("Apply cancelled."
// or the error) and returns terraform's exit status, 1.
int ask_apply_question(PlanMode mode, const std::string& workspace, bool color);

}  // namespace agentguard::gate
