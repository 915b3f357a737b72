// The gate's decision for one launch, whoever asks: the preload's hand-off (main.cpp) or the
// supervisor, for an exec it trapped in a static program's subtree (supervisor.cpp).
#include "gate/plan_inspector.hpp"
#include "gate/decision.hpp"

#include <cstdlib>
#include <cstdio>
#include <exception>
#include <functional>
#include <fstream>
#include <optional>
#include <string>

#include "agentguard/launch_settings.hpp"
#include "agentguard/plan_rules.hpp"
#include "core/protocol.hpp"
#include "agentguard/policy_sections.hpp"
#include "policy_layers/layers.hpp"
#include "support/paths.hpp"
#include "core/launch/executable.hpp"
#include "gate/approval.hpp"
#include "gate/launch.hpp"
#include "gate/plan_review.hpp"
#include "gate/policy_loading.hpp"
#include "gate/reviewed_apply.hpp"
#include "gate/refusal.hpp"
#include "notify/settings.hpp"

namespace agentguard::gate {
namespace {

using policy::Action;
namespace gate = agentguard::gate;

// A setuid, setgid or file-capability executable no rule names (the preload hands those over
// because the loader may drop LD_PRELOAD inside them): [launch] unknown_setuid decides.
void apply_unknown_setuid(const policy::ExecRequest& request, const policy::Policy& pol, policy::Decision& decision) {
  if (!decision.program.empty() || decision.action != Action::allow) return;  // a rule or a dialect decided
  core::ExecutableFacts facts;
  if (!core::examine_executable(request.resolved_path.c_str(), facts) || !facts.privileged) return;
  const Action action = policy::launch_settings(pol).unknown_setuid;
  if (action == Action::allow) return;
  decision.action = action;
  decision.rule_id = "agentguard.unknown-setuid";
  decision.source.file = "[launch] unknown_setuid";
  decision.message =
      action == Action::deny
          ? "This program is setuid, setgid or has file capabilities, so agentguard's preload does not run inside it and "
            "cannot see what it starts, and the policy's [launch] unknown_setuid = \"deny\" refuses such programs "
            "unless a rule names them. Ask a human to run it, or to add a rule for it."
          : "agentguard records this launch: the program is setuid, setgid or has file capabilities, so what it starts is "
            "not seen ([launch] unknown_setuid = \"log\").";
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
    apply_unknown_setuid(request, *pol, decision);
  } catch (const std::exception& e) {
    gate::set_webhook_check([] { return notify::channel_configured(nullptr); });
    return gate::refuse_undecidable(request, e.what());
  }
  // Asked only when a refusal or a held launch says whether a human was notified.
  gate::set_webhook_check([&pol] { return notify::channel_configured(&*pol); });

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
