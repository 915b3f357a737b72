#include "gate/report_file.hpp"

#include <sys/types.h>

#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include "core/protocol.hpp"
#include "events/event.hpp"
#include "gate/host_process.hpp"

namespace agentguard::gate {

int report_file(int argc, char** argv) {
  std::map<std::string, std::string> field;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key.rfind("--", 0) != 0) return 2;
    field[key] = argv[i + 1];
  }
  if ((argc - 2) % 2 != 0 || field[protocol::kFlagOperation].empty() || field[protocol::kFlagPath].empty() || field[protocol::kFlagRule].empty()) {
    std::fprintf(stderr, "agentguard-gate --report-file: --pid, --operation, --path and --rule are required\n");
    return 2;
  }
  // The process whose file call was refused: the preload names it (it starts us through a
  // short-lived copy of itself, so it is our grandparent), and is blocked until we are done.
  pid_t host = 0;
  try {
    host = static_cast<pid_t>(std::stol(field[protocol::kFlagPid]));
  } catch (const std::exception&) {
  }
  if (host <= 1) {
    std::fprintf(stderr, "agentguard-gate --report-file: --pid must name the refused process\n");
    return 2;
  }
  events::Event ev = event_about_process("file", host);
  ev.operation = field[protocol::kFlagOperation];
  ev.resources = {field[protocol::kFlagPath]};
  ev.decision = "deny";
  ev.rule_id = field[protocol::kFlagRule];
  ev.message = field[protocol::kFlagMessage];
  ev.policy_file = "built-in protected paths";
  return events::report(ev) ? 0 : 1;
}

}  // namespace agentguard::gate
