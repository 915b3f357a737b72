#pragma once
// Pieces of make_event() that are useful (and testable) on their own.
#include <time.h>

#include <string>
#include <vector>

#include "events/event.hpp"

namespace agentguard::events {
// "2026-11-26T03:40:01.123Z"
std::string format_rfc3339_ms(const timespec& when);
// Parents of pid, nearest first, names from /proc/<pid>/comm; stops at init or after 16.
std::vector<ProcessInfo> parent_chain(int pid);
}  // namespace agentguard::events
