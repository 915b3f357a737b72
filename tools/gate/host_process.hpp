#pragma once
// The gate's reporting modes (--report-http, --report-file) are started by the preload inside a
// guarded process and make their event about that process.
#include <sys/types.h>

#include <string>

#include "events/event.hpp"

namespace agentguard::gate {

// make_event() about process `pid`: its pid, argv (from /proc/<pid>/cmdline), executable, program
// name (its argv[0]) and the parents above it.
events::Event event_about_process(const std::string& kind, pid_t pid);

}  // namespace agentguard::gate
