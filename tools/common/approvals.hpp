#pragma once
// The files through which a held launch and the human's `agentguard approve/deny` meet, in
// <state>/approvals/. The request holds no approval code and nothing derived from it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace agentguard::approvals {

struct Request {
  std::string id;
  std::int64_t expires_unix = 0;
  std::vector<std::string> argv;
  std::string cwd, program, rule_id, message;
  std::vector<std::string> resources;
  std::string plan_file, plan_sha256;
  int gate_pid = 0;
};

struct Response {
  std::string decision;  // "approve" | "deny"
  std::string code;      // only for approve
  std::string by;        // user@host
};

struct Outcome {
  std::string status;  // approved | denied | rejected | expired
  std::string detail;
};

void write_request(const Request& request);  // throws std::runtime_error
std::optional<Request> read_request(const std::string& id);
std::vector<Request> pending_requests();      // not yet answered and not expired

// Creates the response exclusively: returns false if one exists already (first answer wins).
bool write_response(const std::string& id, const Response& response);
std::optional<Response> read_response(const std::string& id);

void write_outcome(const std::string& id, const std::string& status, const std::string& detail);
std::optional<Outcome> read_outcome(const std::string& id);

// An id must look like one we made: no path tricks through the command line.
bool valid_id(const std::string& id);

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

}  // namespace agentguard::approvals
