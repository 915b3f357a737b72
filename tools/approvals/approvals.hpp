#pragma once
// The files through which a held launch, the agent's repeat of it and the human's
// `agentguard approve/deny` (or the approval page) meet, in <state>/approvals/:
//
//   <id>.request.json   written by the gate: what would run (argv, cwd, plan binding), who waits
//                       for the answer, until when the request is open. No approval code: only a
//                       salted scrypt hash of it (approval_code.hpp), and only when one was sent.
//   <id>.response.json  the human's answer, created exclusively (the first answer wins).
//   <id>.used.json      created exclusively by the one launch that runs on an approval.
//   <id>.outcome.json   what finally happened: ran | denied | expired | rejected.
//
// A request is bound to one launch: the SHA-256 of its argv, cwd and plan (the saved plan file's
// hash, or the list of deletions and replacements of a plain apply). A repeat of the same launch
// finds it by that binding; anything else is a different launch and needs its own approval.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "approval_code.hpp"

namespace agentguard::approvals {

// How long an approval stays usable after the human gave it, for the agent's repeat.
inline constexpr std::int64_t kGrantSeconds = 600;

struct Request {
  std::string id;
  std::int64_t created_unix = 0, expires_unix = 0;
  std::vector<std::string> argv;
  std::string cwd, program, rule_id, message;
  std::vector<std::string> resources;  // "delete terraform_data.a", ... with stateful ones marked
  std::vector<std::string> stateful;   // the subset of resources that hold data
  std::string plan_file, plan_sha256;
  std::string binding;  // sha256 of argv, cwd and plan
  CodeHash code;        // empty when no code was sent (no webhook): then only a terminal can answer
  std::string hold;     // "defer" | "wait"
  // The gate waiting for the answer right now (0: none; the agent was told to repeat the command).
  int waiter_pid = 0;
  std::uint64_t waiter_start = 0;  // its start time in clock ticks (/proc/<pid>/stat), against pid reuse
  bool deferred = false;           // a waiter gave up on purpose and told the agent to repeat it
  // Separated mode: the uid of the gate that made the request, as the service saw it on the socket
  // (-1 in the state directory of the same-user mode). That uid can never answer it.
  long owner_uid = -1;
};

// Who answered, as the operating system says (never a name the caller passes): the answering
// process's real uid and its user name, its controlling terminal, and its pid.
struct Approver {
  long uid = -1;
  std::string user, tty;
  long pid = 0;
  static Approver of_this_process();
  std::string describe() const;  // "uid 1000, tty /dev/pts/3, pid 4242"
};

struct Response {
  std::string decision;  // "approve" | "deny"
  std::string code;      // only for approve, only when a code was sent
  std::string by;        // user@host
  std::string reason;    // for deny: told to the agent
  std::string via;       // "terminal" | "code" | "page"
  std::int64_t time_unix = 0;
  Approver approver;
  // "alice@host (uid 1000, tty /dev/pts/3, pid 4242)": for the audit log and the agent.
  std::string who() const;
};

struct Outcome {
  std::string status;  // ran | denied | expired | rejected
  std::string detail;
};

// The state of one request as a human should see it.
enum class State { holding, deferred, dead, approved, ran, denied, expired, rejected };
const char* to_string(State state);
State state_of(const Request& request);
std::string describe(const Request& request, State state);  // one line: what it means for the human

// Where these live: in the separated mode, with the agentguard service (service_client.hpp) for
// the requests of the agent users it keeps, and for the humans who may answer them; otherwise in
// <state>/approvals/. The functions below choose; files:: is the state directory itself (the
// service keeps its records with it).
void write_request(const Request& request);  // throws std::runtime_error
std::optional<Request> read_request(const std::string& id);
std::vector<Request> all_requests();      // newest first
std::vector<Request> pending_requests();  // open (holding, deferred or dead), newest first
// The newest request for this binding that is not yet closed by a run, an expiry or a rejection.
std::optional<Request> find_by_binding(const std::string& binding);

// Creates the response exclusively: returns false if one exists already (first answer wins).
bool write_response(const std::string& id, const Response& response);
std::optional<Response> read_response(const std::string& id);
// Wrong codes typed by the human so far; add_wrong_code() counts one more and returns the total
// (it throws std::runtime_error when the separated mode's service refuses this user as an answerer).
int wrong_codes(const std::string& id);
int add_wrong_code(const std::string& id);
// Claims the approval for one launch: true for exactly one caller.
bool claim(const std::string& id);

void write_outcome(const std::string& id, const std::string& status, const std::string& detail);
std::optional<Outcome> read_outcome(const std::string& id);

// The records as JSON (the files and the service's protocol).
nlohmann::json to_json(const Request& request);
Request request_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Response& response);
Response response_from_json(const nlohmann::json& j);

namespace files {
void write_request(const Request& request);
std::optional<Request> read_request(const std::string& id);
std::vector<Request> all_requests();
bool write_response(const std::string& id, const Response& response);
std::optional<Response> read_response(const std::string& id);
int wrong_codes(const std::string& id);
int add_wrong_code(const std::string& id);
bool claim(const std::string& id);
void write_outcome(const std::string& id, const std::string& status, const std::string& detail);
std::optional<Outcome> read_outcome(const std::string& id);
}  // namespace files

// Whether the process recorded as waiting for this request is still that process.
bool waiter_alive(const Request& request);
std::uint64_t process_start_ticks(int pid);  // 0 if there is no such process

std::string binding_of(const std::vector<std::string>& argv, const std::string& cwd, const std::string& plan);

// An id must look like one we made: no path tricks through the command line.
bool valid_id(const std::string& id);

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");
std::int64_t now_unix();
// A moment as people read it in a request, in UTC: "2026-12-06 18:20:00 UTC" (or another strftime
// format, such as "%H:%M:%S UTC").
std::string clock_text(std::int64_t unix_time, const char* format = "%Y-%m-%d %H:%M:%S UTC");
// "90 seconds", "1 second", "10 minutes", "1 minute 30 seconds": true units for every duration.
std::string duration_text(std::int64_t seconds);

}  // namespace agentguard::approvals
