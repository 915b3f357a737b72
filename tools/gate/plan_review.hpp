#pragma once
// Plan review at the launch of `terraform apply` / `tofu apply`: what would this apply delete,
// replace or forget? With a saved plan (`apply PLANFILE`) the plan is read with `show -json`.
// Without one, the gate makes its own plan of the same apply (`plan -out` into a private
// directory, with the same variables, targets and -replace options) and reads that.
#include <optional>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::gate {

struct TerraformCall {
  std::vector<std::string> globals;   // options before the subcommand, e.g. -chdir=DIR
  std::string subcommand;             // "apply"
  std::vector<std::string> args;      // after the subcommand
  std::string plan_file;              // the saved plan argument, if any
};

// Splits an effective terraform argv (argv[0] included, TF_CLI_ARGS already merged).
TerraformCall parse_terraform_call(const std::vector<std::string>& effective_argv);

bool is_apply_to_review(const policy::Decision& decision);

struct PlanReview {
  policy::PlanSummary plan;
  std::string plan_file;       // absolute path of the saved plan ("" when the gate planned privately)
  std::string plan_sha256;     // of the saved plan file
};

// Throws std::runtime_error when the plan cannot be made or read: the caller refuses.
PlanReview review_apply(const policy::ExecRequest& request, const policy::Decision& decision);

std::string sha256_file(const std::string& path);  // hex; "" if unreadable

}  // namespace agentguard::gate
