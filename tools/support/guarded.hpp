#pragma once
// Is this process inside a guarded tree? `agentguard approve` must refuse to run there: the agent
// must not be able to approve its own request, even if it somehow learnt the code.
#include <string>

namespace agentguard::guarded {

// True if the preload is mapped into this process, the guard's variables are in its environment,
// or any ancestor process was started with them. `why` says which.
bool inside_guarded_tree(std::string* why = nullptr);

}  // namespace agentguard::guarded
