#pragma once
// Diagnostics of the code the gate shares with the CLI (events, spool, notifier wake-up). The gate
// links no logging library (every watched launch loads it): by default a warning goes to stderr as
// "agentguard: warning: ..." and a debug message is dropped; the CLI's logging::init() routes
// both to spdlog instead.
#include <string>

namespace agentguard::log {

enum class Level { debug, warn };
using Sink = void (*)(Level level, const std::string& message);

void set_sink(Sink sink);  // nullptr: the default above
void debug(const std::string& message);
void warn(const std::string& message);

}  // namespace agentguard::log
