#pragma once
// [launch] in a policy layer (docs/policy.md, "[launch]"): strict mode for sessions, and what the
// gate does with a setuid, setgid or file-capability executable no rule names (the loader may drop
// LD_PRELOAD inside it, so what it starts is not seen).
#include "agentguard/policy.hpp"

namespace agentguard::policy {

struct LaunchSettings {
  bool strict = false;                  // [launch] strict: `agentguard run` as if given --strict
  Action unknown_setuid = Action::log;  // [launch] unknown_setuid: allow, log (the default) or deny
};

// The loader has validated every [launch] table; the highest layer that sets a key wins.
LaunchSettings launch_settings(const Policy& policy);

}  // namespace agentguard::policy
