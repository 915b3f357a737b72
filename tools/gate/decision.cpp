// The gate's decision for one launch, whoever asks: the preload's hand-off (main.cpp) or the
// supervisor, for an exec it trapped in a static program's subtree (supervisor.cpp).
#include "gate/plan_inspector.hpp"
#include "gate/decision.hpp"

#include <cstdio>
#include <exception>
#include <functional>
#include <fstream>
#include <optional>
#include <string>

#include "agentguard/plan_rules.hpp"
#include "agentguard/policy_sections.hpp"
#include "policy_layers/layers.hpp"
#include "support/paths.hpp"
#include "gate/approval.hpp"
#include "gate/launch.hpp"
#include "gate/plan_review.hpp"
#include "gate/policy_loading.hpp"
#include "gate/reviewed_apply.hpp"
#include "gate/refusal.hpp"

namespace agentguard::gate {
namespace {

using policy::Action;
namespace gate = agentguard::gate;

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

}  // namespace

int decide_and_launch(const policy::ExecRequest& request) {
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
    const ShowJsonPlanInspector plans;
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
      return gate::hold_for_approval({request, decision, {}, {}, {}, {}, "", nullptr, nullptr}, holds());
    case Action::log:
      gate::record(request, decision);
      [[fallthrough]];
    case Action::allow:
      if (gate::is_apply_to_review(decision))
        return gate::run_reviewed_apply(pol->plan_rules(), request, decision, holds);
      return gate::exec_program(request);
  }
  return gate::refuse_undecidable(request, "unknown action");
}

}  // namespace agentguard::gate
