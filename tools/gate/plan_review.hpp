#pragma once
// Plan review at the launch of `terraform apply` / `tofu apply`: what would this apply delete,
// replace or forget, read from the very plan that will run.
//  - `apply PLANFILE`: the file is opened once (physically, as terraform opens it: symlinks and `..`
//    resolved by the kernel from the working directory), copied into a sealed memfd, reviewed from
//    there, and terraform applies that memfd (/dev/fd/N). Swapping the file afterwards changes nothing.
//  - a plain `apply [flags]` becomes three steps (reviewed_apply.hpp): the gate runs `plan -out` once
//    with the caller's stdin, reviews that plan, and applies it.
#include <optional>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"
#include "agentguard/terraform_call.hpp"

namespace agentguard::gate {

// `terraform [-chdir=DIR] apply ARGS...` as the policy normalised it, split by the policy's own rules.
using policy::TerraformCall;

bool is_apply_to_review(const policy::Decision& decision);

// The directory terraform works in: the caller's cwd, then -chdir.
std::string working_dir(const policy::ExecRequest& request, const TerraformCall& call);

// A plan held in a sealed memfd the gate keeps open (not close-on-exec, so the terraform it execs
// reads it as /dev/fd/N). Nobody can change its bytes once sealed.
struct SealedPlan {
  int fd = -1;
  std::string source;    // the path it was read from, for messages
  std::string sha256;    // of its bytes
  std::string fd_path() const { return "/dev/fd/" + std::to_string(fd); }
};

// Opens `path` (relative to dir) as terraform would and seals a copy. Throws std::runtime_error.
SealedPlan seal_plan_file(const std::string& dir, const std::string& path);

// Seals plan.fd (a memfd made with MFD_ALLOW_SEALING) and sets plan.sha256. Throws std::runtime_error.
void seal_memfd(SealedPlan& plan);

// The sha256 of the plan's bytes as they are now ("" if unreadable).
std::string sealed_sha256(const SealedPlan& plan);

struct PlanReview {
  policy::PlanSummary plan;
  bool applyable = true;   // terraform's own "applyable": false when the plan changes nothing
};

// `terraform show -json` of the sealed plan. Throws std::runtime_error when it cannot be read.
PlanReview show_plan(const policy::ExecRequest& request, const TerraformCall& call, const SealedPlan& plan);

// The environment for the terraform runs the gate makes: the caller's (preload restored), without
// TF_CLI_ARGS* (already merged into the argv the gate builds).
std::vector<std::string> terraform_env(const policy::ExecRequest& request);

}  // namespace agentguard::gate
