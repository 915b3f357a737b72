// agentguard-gate: decides one watched launch. The preload execs this program in place of the
// real one (protocol in docs/architecture.md). It runs without the preload, reads the full policy,
// and then either execs the real program, holds it for a human, or refuses with status 126. Any
// failure of its own is a refusal: a guard that cannot decide must not wave a destructive command through.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <exception>
#include <functional>
#include <string>

#include "agentguard/plan_rules.hpp"
#include "agentguard/policy.hpp"
#include "agentguard/policy_sections.hpp"
#include "agentguard/terraform_plan_inspector.hpp"
#include "common/paths.hpp"
#include "common/layers.hpp"
#include "gate/approval.hpp"
#include "gate/launch.hpp"
#include "gate/plan_review.hpp"
#include "gate/policy_loading.hpp"
#include "gate/refusal.hpp"
#include "gate/report_http.hpp"

extern char** environ;

namespace {

using agentguard::policy::Action;
namespace gate = agentguard::gate;
namespace policy = agentguard::policy;

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

// The apply's verdict from its plan: which resources would go, and what the plan rules say.
int review_and_launch(const policy::Policy& pol, const policy::ExecRequest& request, policy::Decision decision,
                      const std::function<gate::HoldSettings()>& hold) {
  gate::PlanReview review;
  try {
    review = gate::review_apply(request, decision);
  } catch (const std::exception& e) {
    return gate::refuse_undecidable(request, e.what());
  }
  const std::vector<policy::PlanRule>& rules = pol.plan_rules();
  const policy::PlanVerdict verdict = policy::decide_plan(rules, review.plan);
  if (!verdict.deciding || verdict.action == Action::allow) return gate::exec_program(request);

  std::vector<std::string> resources;
  for (const auto& r : verdict.resources) resources.push_back(r.kind + " " + r.change.address);
  const auto& d = *verdict.deciding;
  decision.action = verdict.action;
  decision.rule_id = d.rule_id;
  decision.source = d.source;
  decision.message = "This apply would " + verdict.summary() + ". " + d.message;

  switch (verdict.action) {
    case Action::log:
      gate::record(request, decision);
      return gate::exec_program(request);
    case Action::deny:
      return gate::refuse(request, decision);
    case Action::ask:
    case Action::allow:
      break;
  }
  gate::HeldLaunch held{request, decision, resources, stateful_resources(verdict), review.plan_file, review.plan_sha256,
                        review.plan_file.empty() ? "deletes:" + verdict.summary() : "plan-sha256:" + review.plan_sha256,
                        nullptr};
  held.still_the_same = [request, decision, review, summary = verdict.summary(), rules]() -> std::string {
    if (!review.plan_file.empty())
      return gate::sha256_file(review.plan_file) == review.plan_sha256 ? "" : "the plan file changed after the request";
    // A plain apply plans again when it runs: it must still do exactly what was approved.
    try {
      const auto again = gate::review_apply(request, decision);
      return policy::decide_plan(rules, again.plan).summary() == summary ? "" : "the plan changed since the request";
    } catch (const std::exception& e) {
      return std::string("the plan could not be checked again (") + e.what() + ")";
    }
  };
  return gate::hold_for_approval(held, hold());
}

// A webhook is configured if the launch's environment names one, the session recorded one when it
// started, or a policy layer has a [notify] table.
bool webhook_configured(const policy::ExecRequest& request, const policy::Policy* pol) {
  std::string session;
  for (const auto& e : request.env) {
    if (e.rfind("AGENTGUARD_WEBHOOK_URL=", 0) == 0 && e.size() > 23) return true;
    if (e.rfind("AGENTGUARD_SESSION=", 0) == 0) session = e.substr(19);
  }
  if (!session.empty()) {
    std::ifstream in(agentguard::paths::state_dir() / "sessions" / (session + ".json"));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("\"url\"") != std::string::npos) return true;
  }
  return pol && !pol->sections("notify").empty();
}

int run_gate(int argc, char** argv) {
  const auto request = gate::request_from_protocol(argc, argv, environ);

  policy::Decision decision;
  std::optional<policy::Policy> pol;
  try {
    auto options = agentguard::layers::session_load_options(request.cwd);
    options.api_rules = false;  // the gate decides launches; the session compiled the API rules
    auto loaded = gate::load_policy(options);
    if (!loaded.broken.empty())
      std::fprintf(stderr, "agentguard: warning: the policy does not load (%s); the last good policy stays in force.\n",
                   loaded.broken.c_str());
    pol.emplace(std::move(loaded.policy));
    const policy::TerraformPlanInspector plans;
    decision = pol->decide_exec(request, &plans);
  } catch (const std::exception& e) {
    gate::set_webhook_check([&request] { return webhook_configured(request, nullptr); });
    return gate::refuse_undecidable(request, e.what());
  }
  // Asked only when a refusal or a held launch says whether a human was notified.
  gate::set_webhook_check([&request, &pol] { return webhook_configured(request, &*pol); });

  const std::function<gate::HoldSettings()> holds = [&] {
    try {
      return gate::hold_settings(&*pol);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "agentguard: warning: %s; holds use the defaults.\n", e.what());
      return gate::HoldSettings{};
    }
  };
  switch (decision.action) {
    case Action::deny:
      return gate::refuse(request, decision);
    case Action::ask:
      return gate::hold_for_approval({request, decision, {}, {}, {}, {}, "", nullptr}, holds());
    case Action::log:
      gate::record(request, decision);
      [[fallthrough]];
    case Action::allow:
      if (gate::is_apply_to_review(decision)) return review_and_launch(*pol, request, decision, holds);
      return gate::exec_program(request);
  }
  return gate::refuse_undecidable(request, "unknown action");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string(argv[1]) == "--report-http") return gate::report_http(argc, argv);
    return run_gate(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "agentguard: blocked: the guard could not decide this launch (%s). Nothing was run.\n", e.what());
    return gate::kRefusedStatus;
  }
}
