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
bool conditions_hold(const Match& m, const ParsedCommand& cmd, const PlanInspector* plans, std::string& why);

// The rule applies: its match holds and none of its `unless` entries does.
enum class RuleOutcome { no_match, match, excepted };
RuleOutcome evaluate_rule(const Rule& rule, const ParsedCommand& cmd, const PlanInspector* plans, std::string& why);

}  // namespace agentguard::policy::detail
