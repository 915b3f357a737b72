#pragma once
// The tools' own diagnostics. Quiet by default (warnings and errors only); raise with
// --log-level or AGENTGUARD_LOG_LEVEL=debug. Everything the agent must read is printed
// directly to stderr, never only logged.
#include <string>

namespace agentguard::logging {
// level: trace, debug, info, warn, error, off. Empty means AGENTGUARD_LOG_LEVEL or "warn".
void init(const std::string& level = "");
}  // namespace agentguard::logging
