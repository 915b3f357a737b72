#include "reviewed_apply.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/decided_exec.hpp"
#include "gate/apply_flags.hpp"
#include "gate/apply_review.hpp"
#include "gate/apply_question.hpp"
#include "gate/approval.hpp"
#include "gate/launch.hpp"
#include "gate/plan_review.hpp"
#include "gate/refusal.hpp"
#include "gate/state_redirect.hpp"

namespace agentguard::gate {
namespace {

using policy::Action;

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs terraform as the caller's own child would run: same stdin/stdout/stderr, every inherited
// descriptor. Like system(), the gate ignores SIGINT/SIGQUIT while it waits: terraform handles them.
int run_in_foreground(const std::string& path, std::vector<std::string> argv, std::vector<std::string> env) {
  struct sigaction ignore {}, old_int {}, old_quit {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  support::ChildSetup setup;
  setup.default_interrupt_signals = true;
  pid_t pid = -1;
  const int rc = support::spawn_decided(pid, path.c_str(), args.data(), envp.data(), setup);
  int status = 0;
  if (rc == 0)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  if (rc != 0) throw std::runtime_error("cannot run " + path + ": " + std::strerror(rc));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// The request that runs `terraform [globals] apply [args] /dev/fd/N`: TF_CLI_ARGS* are left out,
// they are merged already.
policy::ExecRequest apply_request(const policy::ExecRequest& request, const TerraformCall& call,
                                  const std::vector<std::string>& args, const SealedPlan& plan) {
  policy::ExecRequest out = request;
  out.argv = {request.argv.empty() ? request.resolved_path : request.argv[0]};
  out.argv.insert(out.argv.end(), call.globals.begin(), call.globals.end());
  out.argv.push_back("apply");
  out.argv.insert(out.argv.end(), args.begin(), args.end());
  out.argv.push_back(plan.fd_path());
  out.env.clear();
  for (const auto& e : request.env)
    if (e.rfind("TF_CLI_ARGS", 0) != 0) out.env.push_back(e);
  return out;
}

// The resources that hold data, by the types of the built-in `plan-stateful-delete` rule (whatever
// the layers disabled): the human sees them marked in every list of what an apply would do.
std::vector<std::string> stateful_resources(const policy::PlanVerdict& verdict) {
  std::vector<std::string> out;
  try {
    policy::LoadOptions options;
    options.api_rules = false;
    const auto builtin = policy::Policy::load(options);
    std::vector<policy::PlanRule> stateful;
    for (const auto& rule : builtin.plan_rules())
      if (rule.id == "plan-stateful-delete") stateful.push_back(rule);
    for (const auto& r : verdict.resources) {
      policy::PlanSummary one{{r.change}};
      if (stateful.empty()) break;
      const auto v = policy::decide_plan(stateful, one);  // rule_id is empty when the rule did not match
      if (v.deciding && !v.deciding->rule_id.empty()) out.push_back(r.kind + " " + r.change.address);
    }
  } catch (const std::exception&) {
    // Without the marks the list is still complete.
  }
  return out;
}

}  // namespace

int run_reviewed_apply(const std::vector<policy::PlanRule>& rules, const policy::ExecRequest& request,
                       policy::Decision decision, const std::function<HoldSettings()>& holds) {
  ApplyReview reviewed;
  try {
    reviewed = review_apply(request, decision, run_in_foreground);
  } catch (const std::exception& e) {
    return refuse_undecidable(request, std::string("cannot review this apply: ") + e.what());
  }
  if (reviewed.plan_status != 0) return reviewed.plan_status;  // terraform has said why; nothing was applied
  const TerraformCall& call = reviewed.call;
  const SealedPlan plan = reviewed.plan;
  const PlanReview& review = reviewed.review;
  const std::optional<ApplyFlags>& flags = reviewed.flags;
  const std::string& dir = reviewed.dir;
  const std::vector<std::string>& apply_args = reviewed.apply_args;

  const policy::ExecRequest launch = apply_request(request, call, apply_args, plan);
  // Step 3, after the review: terraform's own question, then the apply of exactly this plan.
  auto apply = [launch, flags, dir, applyable = review.applyable]() -> int {
    // The supervisor's decision for an apply trapped in a static program's subtree can only let
    // that exec continue: terraform then plans again and asks its own question (a known gap,
    // docs/threat-model.md, "Supervised applies").
    if (decision_only()) return 0;
    if (flags && !flags->auto_approve && applyable) {
      const int answer = ask_apply_question(flags->mode, current_workspace(launch.env, dir), !flags->no_color);
      if (answer != 0) return answer;
    }
    return exec_program(launch);
  };

  const policy::PlanVerdict verdict = policy::decide_plan(rules, review.plan);
  if (!verdict.deciding || verdict.action == Action::allow) return apply();

  std::vector<std::string> resources;
  for (const auto& r : verdict.resources) resources.push_back(r.kind + " " + r.change.address);
  decision = plan_decision(std::move(decision), verdict);
  switch (verdict.action) {
    case Action::log:
      record(request, decision);
      return apply();
    case Action::deny:
      return refuse(request, decision);
    case Action::ask:
    case Action::allow:
      break;
  }
  // A plain apply plans afresh at every launch, so a repeat after the approval is bound to the
  // deletions and replacements it would make; a saved plan is bound to its bytes.
  const std::string binding = call.plan_arg ? "plan-sha256:" + plan.sha256 : "deletes:" + verdict.summary();
  HeldLaunch held{request, decision, resources, stateful_resources(verdict), plan.source, plan.sha256, binding,
                  nullptr, apply};
  // The plan is sealed in memory: re-reading it proves nothing changed, not even by accident.
  held.still_the_same = [plan] { return sealed_sha256(plan) == plan.sha256 ? "" : std::string("the plan changed"); };
  return hold_for_approval(held, holds());
}

}  // namespace agentguard::gate
