#pragma once
// Answering an approval request, shared by `agentguard approve/deny` (a terminal) and the approval
// page: the checks (open, the code when one was sent, the wrong-code limit), the answer file, the
// update notification, and what became of it - told truthfully.
#include <string>

#include "approvals/approvals.hpp"

namespace agentguard::cli {

inline constexpr int kWrongCodeLimit = 5;  // wrong codes before the request closes

std::string who_answers();  // user@host

struct AnswerResult {
  enum Kind { ran, recorded, refused } kind = refused;  // ran: the held launch started; recorded: nothing ran yet
  std::string message;
};

// Checks `code` against the request when a code was sent (counting a wrong one), writes the
// approval and waits while a live waiter picks it up.
AnswerResult approve_request(const approvals::Request& request, const std::string& code, const std::string& via);
AnswerResult deny_request(const approvals::Request& request, const std::string& reason, const std::string& via);

// The request if it can still be answered; otherwise nullopt and why.
std::optional<approvals::Request> open_request(const std::string& id, std::string* why);

}  // namespace agentguard::cli
