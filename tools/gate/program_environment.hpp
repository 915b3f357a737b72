#pragma once
// The environment a watched program runs with once the gate lets it go.
#include <string>
#include <vector>

namespace agentguard::gate {

// The environment for the real program: LD_PRELOAD restored from AGENTGUARD_CALLER_LD_PRELOAD.
std::vector<std::string> environment_for_program(const std::vector<std::string>& env);

}  // namespace agentguard::gate
