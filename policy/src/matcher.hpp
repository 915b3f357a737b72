#pragma once
// Does one rule's condition hold for one parsed command?
#include <string>

#include "agentguard/policy.hpp"
#include "parsed_command.hpp"
#include "rule.hpp"

namespace agentguard::policy::detail {

struct PlanCheckFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// True when every condition of m holds. `why` gets a short note when a plan was consulted.
// Throws PlanCheckFailed when the plan inspector fails (the caller refuses).
// `program_known`: the caller has already established that m.programs names cmd.program (the
// policy's program index), so that condition is not checked again.
bool conditions_hold(const Match& m, const ParsedCommand& cmd, const PlanInspector* plans, std::string& why,
                     bool program_known = false);

// The rule applies: its match holds and none of its `unless` entries does.
enum class RuleOutcome { no_match, match, excepted };
// `program_known` applies to rule.match only, never to the `unless` entries.
RuleOutcome evaluate_rule(const Rule& rule, const ParsedCommand& cmd, const PlanInspector* plans, std::string& why,
                          bool program_known = false);

}  // namespace agentguard::policy::detail
