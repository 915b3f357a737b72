#include "answers.hpp"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "approval_notices.hpp"

namespace agentguard::cli {

namespace {

// After an approval: a live waiter checks the plan again before it runs (a plain apply plans
// again); as long as it is alive, its answer is coming.
AnswerResult what_became_of(const approvals::Request& r) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < give_up) {
    if (auto outcome = approvals::read_outcome(r.id))
      return {outcome->status == "ran" ? AnswerResult::ran : AnswerResult::refused, outcome->status + ": " + outcome->detail};
    auto now = approvals::read_request(r.id);
    if (!now || !approvals::waiter_alive(*now)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {AnswerResult::recorded,
          "approved, but nothing ran yet: no process is waiting for this answer. It runs once if the agent runs the same "
          "command in the same directory again before " +
              approvals::clock_text(approvals::now_unix() + approvals::kGrantSeconds) + "."};
}

}  // namespace

std::string who_answers() {
  char host[256] = "host";
  gethostname(host, sizeof host - 1);
  const passwd* pw = getpwuid(getuid());
  return std::string(pw ? pw->pw_name : "uid" + std::to_string(getuid())) + "@" + host;
}

std::optional<approvals::Request> open_request(const std::string& id, std::string* why) {
  auto request = approvals::read_request(id);
  if (!request) {
    *why = "no approval request with id " + id;
    return std::nullopt;
  }
  using approvals::State;
  const auto state = approvals::state_of(*request);
  if (state != State::holding && state != State::deferred && state != State::dead) {
    std::string detail;
    if (auto outcome = approvals::read_outcome(id)) detail = " (" + outcome->detail + ")";
    *why = id + " is no longer open: " + approvals::to_string(state) + detail;
    return std::nullopt;
  }
  return request;
}

AnswerResult approve_request(const approvals::Request& request, const std::string& code, const std::string& via) {
  if (!request.code.hash_hex.empty() && !approvals::code_matches(request.code, code)) {
    int wrong = 0;
    try {
      wrong = approvals::add_wrong_code(request.id);
    } catch (const std::exception& e) {
      return {AnswerResult::refused, std::string("not approved: ") + e.what()};
    }
    if (wrong >= kWrongCodeLimit) {
      approvals::write_outcome(request.id, "rejected", std::to_string(wrong) + " wrong approval codes; the request is closed");
      start_approval_update(request.id);
      return {AnswerResult::refused, "wrong code again (" + std::to_string(wrong) + " wrong codes); the request is closed and nothing runs"};
    }
    const int left = kWrongCodeLimit - wrong;
    return {AnswerResult::refused, "that is not the code that was sent; " + std::to_string(left) + " more tr" +
                                       (left == 1 ? "y" : "ies") + " before the request closes"};
  }
  approvals::Response response{"approve", code, who_answers(), "", via, approvals::now_unix(),
                               approvals::Approver::of_this_process()};
  try {
    if (!approvals::write_response(request.id, response)) return {AnswerResult::refused, request.id + " has already been answered"};
  } catch (const std::exception& e) {
    return {AnswerResult::refused, std::string("not approved: ") + e.what()};  // the separated mode's service said no
  }
  start_approval_update(request.id);
  return what_became_of(request);
}

AnswerResult deny_request(const approvals::Request& request, const std::string& reason, const std::string& via) {
  const std::string by = who_answers();
  const approvals::Response response{"deny", "", by, reason, via, approvals::now_unix(), approvals::Approver::of_this_process()};
  try {
    if (!approvals::write_response(request.id, response))
      return {AnswerResult::refused, request.id + " has already been answered"};
  } catch (const std::exception& e) {
    return {AnswerResult::refused, std::string("not denied: ") + e.what()};
  }
  if (!approvals::waiter_alive(request))
    approvals::write_outcome(request.id, "denied", "denied by " + response.who() + (reason.empty() ? "" : ": " + reason));
  start_approval_update(request.id);
  return {AnswerResult::recorded, "denied " + request.id + "; the agent is told" + (reason.empty() ? "" : ": " + reason)};
}

}  // namespace agentguard::cli
