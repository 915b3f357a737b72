// agentguard-gate: decides one watched launch. The preload execs this program in place of the
// real one (protocol in docs/architecture.md). It runs without the preload, reads the full policy,
// and then either execs the real program, holds it for a human, or refuses with status 126. Any
// failure of its own is a refusal: a guard that cannot decide must not wave a destructive command through.
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>

#include "gate/decision.hpp"
#include "core/protocol.hpp"
#include "gate/launch.hpp"
#include "gate/refusal.hpp"
#include "gate/report_file.hpp"
#include "gate/report_http.hpp"
#include "gate/supervisor.hpp"

extern char** environ;

namespace gate = agentguard::gate;
namespace protocol = agentguard::protocol;

int main(int argc, char** argv) {
  // No same-user process may read this one's memory, environment or maps, or trace it: it holds
  // the approval code while a launch waits, and it supervises static programs. Non-dumpable, the
  // kernel refuses ptrace, process_vm_readv and /proc/<pid>/{mem,environ,maps} to anyone without
  // CAP_SYS_PTRACE, ancestors included (Yama's scope 1 lets ancestors through). The program the
  // gate finally execs is dumpable again (execve resets it). In a strict session too: every exec
  // the gate makes, its helpers' included (terraform plan and show, the notifier), carries the
  // session's token (support/decided_exec.hpp), so the session's supervisor never has to read it.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  try {
    if (argc > 1 && std::string(argv[1]) == protocol::kReportHttp) return gate::report_http(argc, argv);
    if (argc > 1 && std::string(argv[1]) == protocol::kReportFile) return gate::report_file(argc, argv);
    if (argc == 2 && std::string(argv[1]) == protocol::kProbeSupervisor) {
      // Used by `agentguard run` and `agentguard doctor`: can this kernel supervise static programs?
      const std::string why = gate::probe_user_notification();
      if (why.empty()) return std::puts("seccomp user notification: available") < 0 ? 1 : 0;
      std::printf("seccomp user notification: unavailable (%s)\n", why.c_str());
      return 1;
    }
    if (argc > 1 && std::string(argv[1]) == protocol::kStrictSession) {
      // `agentguard run --strict`: [gate, --strict-session, resolved, argv0, ...], the hand-off's
      // protocol with the flag in front. The whole session runs under this process's supervisor.
      argv[1] = argv[0];
      return gate::run_strict_session(gate::request_from_protocol(argc - 1, argv + 1, environ));
    }
    return gate::decide_and_launch(gate::request_from_protocol(argc, argv, environ));
  } catch (const std::exception& e) {
    std::fputs(gate::undecidable_paragraph(e.what()).c_str(), stderr);
    return gate::kRefusedStatus;
  }
}
