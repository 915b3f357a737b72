#pragma once
// The guard's settings as cached at load time (docs/architecture.md, "The guard's environment").
#include "core/launch/guard_env.hpp"

namespace agentguard::preload {

// The cached guard. Before the constructor has run, a view of the current environ instead.
core::GuardEnv current_guard();

}  // namespace agentguard::preload
