#include "gate/apply_review.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "gate/state_redirect.hpp"

namespace agentguard::gate {
namespace {

// Step 1 of a plain apply: terraform plans it once, into a memfd.
SealedPlan make_plan(const policy::ExecRequest& request, const TerraformCall& call, const ApplyFlags& flags,
                     const PlanRunner& run_plan, int& plan_status) {
  const int fd = memfd_create("agentguard-plan", MFD_ALLOW_SEALING);  // inherited by the plan on purpose
  if (fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
  SealedPlan plan{fd, "this apply's plan", ""};
  std::vector<std::string> argv{request.argv.empty() ? request.resolved_path : request.argv[0]};
  argv.insert(argv.end(), call.globals.begin(), call.globals.end());
  argv.push_back("plan");
  argv.insert(argv.end(), flags.plan_args.begin(), flags.plan_args.end());
  argv.push_back("-out=" + plan.fd_path());
  plan_status = run_plan(request.resolved_path, argv, terraform_env(request));
  if (plan_status != 0) {
    close(fd);
    plan.fd = -1;
    return plan;
  }
  seal_memfd(plan);
  return plan;
}

}  // namespace

ApplyReview review_apply(const policy::ExecRequest& request, const policy::Decision& decision,
                         const PlanRunner& run_plan) {
  ApplyReview r;
  r.call = policy::split_terraform_call(decision.effective_argv);
  r.dir = working_dir(request, r.call);
  r.apply_args = r.call.args;
  if (r.call.plan_arg) {
    r.plan = seal_plan_file(r.dir, r.call.args[*r.call.plan_arg]);
    r.apply_args.erase(r.apply_args.begin() + static_cast<long>(*r.call.plan_arg));
    r.review = show_plan(request, r.call, r.plan);
    return r;
  }
  r.flags = split_apply_flags(r.call.args);
  if (r.flags->json && !r.flags->auto_approve)
    throw std::runtime_error("-json without -auto-approve: terraform cannot ask for approval in JSON mode");
  r.plan = make_plan(request, r.call, *r.flags, run_plan, r.plan_status);
  if (r.plan_status != 0) return r;  // terraform has said why; nothing would be applied
  r.apply_args = r.flags->apply_args;
  r.review = show_plan(request, r.call, r.plan);
  for (auto& lost : states_overwritten(r.dir, *r.flags)) r.review.plan.changes.push_back(std::move(lost));
  return r;
}

policy::Decision plan_decision(policy::Decision decision, const policy::PlanVerdict& verdict) {
  const auto& d = *verdict.deciding;
  decision.action = verdict.action;
  decision.rule_id = d.rule_id;
  decision.source = d.source;
  decision.message = "This apply would " + verdict.summary() + ". " + d.message;
  return decision;
}

}  // namespace agentguard::gate
