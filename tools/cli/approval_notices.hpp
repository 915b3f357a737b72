#pragma once
// The notifications of one approval request: one message when it is opened (with the one-time
// code, read from the gate through a pipe), then one update for each later state, in order:
//   seq 1 pending -> seq 2 approved | denied | expired | closed -> seq 3 ran.
// Every send for a request happens under <state>/approvals/<id>.notify.lock, and each webhook's
// last delivered sequence number is kept in <id>.notified.json: a webhook never receives an older
// state after a newer one, and a receiver can order them by `approval.seq` (also sent as the
// X-Agentguard-Sequence header).
#include <nlohmann/json.hpp>
#include <string>

namespace agentguard::cli {

// `agentguard notify send-approval-request` (stdin: the event with its "approval" object): sends
// it, then stays until the request leaves "pending" or expires and sends that update too.
void run_send_approval_request();
// `agentguard notify send-approval-update ID`: sends the request's current state where it is new.
void run_send_approval_update(const std::string& id);

// Starts `agentguard notify send-approval-update ID` detached (the CLI's answering commands).
void start_approval_update(const std::string& id);

}  // namespace agentguard::cli
