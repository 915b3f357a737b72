#pragma once
// The client side of the separated mode (docs/architecture.md, "The separated mode"): the gate and
// the CLI talk to `agentguard-service`, a small system service running under its own user, which
// owns the approvals, the audit log and its key. One JSON line per request and one per answer, one
// request per connection, over a Unix socket at a path fixed when agentguard was built (never taken
// from the environment: a guarded process could otherwise point the gate elsewhere, or nowhere).
//
// Which mode is in force is decided here, once per process:
//   same-user   the socket does not exist (a source build, no root), or the service says this uid's
//               sessions are not its to keep: approvals and the audit log stay in the state directory;
//   separated   the service answers and keeps this uid's records;
//   unavailable the socket exists but no trustworthy service answers, and the list of agent users it
//               left beside its socket (agents.json) names this user, or cannot be read: nothing falls
//               back to files (a forged answer there would be accepted), every approval and audit
//               write fails closed. A user it never kept stays in the same-user mode.
// Who may answer a request is decided by the service, from the peer credentials of the connection.
#include <nlohmann/json.hpp>
#include <string>

namespace agentguard::service {

// The socket path this build uses (AGENTGUARD_SERVICE_SOCKET at configure time).
const char* socket_path();

struct Mode {
  enum Kind { same_user, separated, unavailable } kind = same_user;
  bool may_answer = false;     // the service lets this uid answer other users' requests
  // Same-user mode because the service does not answer, and its list of agent users (agents.json,
  // beside the socket) does not name this user: `doctor` warns, nothing of this user's is affected.
  bool service_down = false;
  std::string why;             // one sentence: why this mode
  nlohmann::json hello;        // the service's hello answer (empty in same-user mode)
};

// The mode for this process (asked once; the service process itself is always "same-user": it
// keeps the files).
const Mode& mode();

// The file beside the socket where the service says whose sessions it keeps:
//   {"all": bool, "users": [uid...], "groups": [gid...], "service_uid": uid}
std::string agents_file_path();

// For the service's own process: never ask a service.
void act_as_the_service();

// One request to the service. Throws std::runtime_error when it cannot be reached, its identity is
// not what the socket's directory says, or it refuses (with its reason).
nlohmann::json call(const nlohmann::json& request);

}  // namespace agentguard::service
