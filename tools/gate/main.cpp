// agentguard-gate: decides one watched launch. The preload execs this program in place of the
// real one (protocol in docs/architecture.md). It runs without the preload, reads the full policy,
// and then either execs the real program or refuses with status 126. Any failure of its own is a
// refusal: a guard that cannot decide must not wave a destructive command through.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <string>

#include "agentguard/policy.hpp"
#include "common/layers.hpp"
#include "events/event.hpp"
#include "gate/launch.hpp"
#include "gate/refusal.hpp"

extern char** environ;

namespace {

using agentguard::policy::Action;

int run_gate(int argc, char** argv) {
  const auto request = agentguard::gate::request_from_protocol(argc, argv, environ);

  agentguard::policy::Decision decision;
  try {
    const auto policy = agentguard::policy::Policy::load({.builtin_default = true,
                                                          .files = agentguard::layers::files_for_session()});
    const agentguard::policy::TerraformPlanInspector plans;
    decision = policy.decide_exec(request, &plans);
  } catch (const std::exception& e) {
    return agentguard::gate::refuse_undecidable(request, e.what());
  }

  switch (decision.action) {
    case Action::allow:
      return agentguard::gate::exec_program(request);
    case Action::log:
      agentguard::gate::record(request, decision);
      return agentguard::gate::exec_program(request);
    case Action::ask:  // Human approval is not wired yet: until it is, an ask is a refusal.
    case Action::deny:
      return agentguard::gate::refuse(request, decision);
  }
  return agentguard::gate::refuse_undecidable(request, "unknown action");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_gate(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "agentguard: blocked: the guard could not decide this launch (%s). Nothing was run.\n", e.what());
    return 126;
  }
}
