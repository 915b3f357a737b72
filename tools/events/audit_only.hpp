#pragma once
// An event for the audit log only: redacted and appended, never spooled for the webhooks. A held
// launch's events (asked, approved, refused in the flow) use it: the humans hear about a request
// through its own notifications (one per request, in order; tools/cli/approval_notices.hpp).
#include "events/event.hpp"

namespace agentguard::events {

// Returns false if the event could not be written. Never throws.
bool record_in_audit_log(Event event);

}  // namespace agentguard::events
