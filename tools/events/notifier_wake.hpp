#pragma once
// Starts `agentguard notify flush --background` fully detached (double fork + setsid, stdio on
// /dev/null, never waited for), so the caller - a gate refusing a command - returns at once even
// when a webhook hangs. Does nothing when the CLI program is not installed next to the caller.
namespace agentguard::events {
void wake_notifier();
}  // namespace agentguard::events
