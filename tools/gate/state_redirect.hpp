#pragma once
// -state, -state-out and -backup reviewed against the files they really touch. The plan is made
// from the state at -state (default terraform.tfstate); the apply writes the new state to
// -state-out (default: the same file) and the old content of that file to -backup (default:
// -state-out + ".backup", "-" for none). When the written file is another state than the one
// planned from, every resource it held is dropped from it: `-state=empty -state-out=terraform.tfstate`
// plans "create 3" and forgets the 3 real ones. Those resources are returned as "forget" changes, so
// the plan rules decide them like any other.
#include <optional>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"
#include "gate/apply_flags.hpp"

namespace agentguard::gate {

// dir: terraform's working directory. Throws std::runtime_error when a state file that would be
// overwritten cannot be read.
std::vector<policy::ResourceChange> states_overwritten(const std::string& dir, const ApplyFlags& flags);

}  // namespace agentguard::gate
