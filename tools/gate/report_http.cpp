#include "report_http.hpp"

#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

#include "core/protocol.hpp"
#include "events/event.hpp"
#include "gate/host_process.hpp"

namespace agentguard::gate {

int report_http(int argc, char** argv) {
  std::map<std::string, std::string> field;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0) return 2;
    field[key] = argv[i + 1];
  }
  // A request the guard could not read (an HTTP/2 connection, a stream it lost track of) has no
  // service or operation, and is the very refusal that most needs its record: only the decision
  // and the rule are required.
  if (field[protocol::kFlagDecision].empty() || field[protocol::kFlagRule].empty()) {
    std::fprintf(stderr, "agentguard-gate --report-http: --decision and --rule are required\n");
    return 2;
  }
  // The process whose request was refused is our parent: the event is about it.
  events::Event ev = event_about_process("http", getppid());
  ev.service = field[protocol::kFlagService];
  ev.operation = field[protocol::kFlagOperation];
  ev.endpoint = field[protocol::kFlagEndpoint];
  ev.decision = field[protocol::kFlagDecision];
  ev.rule_id = field[protocol::kFlagRule];
  ev.message = field[protocol::kFlagMessage];
  ev.policy_file = "API rules of the session";
  return events::report(ev) ? 0 : 1;
}

}  // namespace agentguard::gate
