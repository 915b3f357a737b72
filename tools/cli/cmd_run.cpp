// `agentguard run [--policy FILE]... -- CMD ARGS...`: the line for an agent's launch script.
#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"
#include "core/protocol.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "support/paths.hpp"
#include "support/subprocess.hpp"
#include "launcher.hpp"
#include "notify/notify.hpp"
#include "notify/settings.hpp"
#include "session.hpp"
#include "session_proxy.hpp"
#include "session_guard.hpp"

namespace agentguard::cli {

namespace {
// Static programs (terraform among them) need the gate's seccomp supervisor. Where the kernel
// refuses it they will be refused, launch by launch; say so once, up front. Returns false if it
// is unavailable (a strict session then does not start: nothing may run unsupervised).
// The probe runs while the session's proxy starts (both are process start-ups, ~5-10 ms each);
// its verdict is told once the proxy is up.
subprocess::Result probe_supervisor() {
  subprocess::Options options;
  options.timeout = std::chrono::seconds(20);
  return subprocess::run({paths::gate_program().string(), protocol::kProbeSupervisor}, options);
}

bool supervisor_available(const subprocess::Result& r, bool strict) {
  if (r.status == 0) return true;
  const std::string line = r.out.substr(0, r.out.find('\n'));
  const char* what = line.empty() ? "the seccomp supervisor could not be probed" : line.c_str();
  if (strict)
    std::fprintf(stderr, "agentguard: blocked: %s. Strict mode puts the whole session under the seccomp supervisor, "
                 "so nothing was started. `agentguard doctor` explains the fix.\n", what);
  else
    std::fprintf(stderr, "agentguard: warning: %s. Static programs (terraform, tofu, Go wrappers) will be refused in "
                 "this session. `agentguard doctor` explains the fix.\n", what);
  return false;
}
}  // namespace

void add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Run a command (your agent) with every process it starts guarded");
  auto options = std::make_shared<SessionOptions>();
  cmd->add_option("--policy", options->policy_files,
                  "Policy file layered above the built-in default, system, user and AGENTGUARD_POLICY policies (repeatable)");
  cmd->add_option("--state-dir", options->state_dir, "Where the audit log and the notification spool live")
      ->envname(protocol::kEnvStateDir);
  cmd->add_flag("--default-only", options->builtin_only, "Use only the built-in default policy");
  cmd->add_flag("--strict", options->strict,
                "Put the whole session under the seccomp supervisor: every exec is seen, raw syscalls and "
                "programs without the preload included (also the policy's [launch] strict = true)");
  auto argv = takes_command_line(cmd);
  cmd->footer(
      "Usage: agentguard run [OPTIONS] [--] CMD ARGS...   (everything after -- is the command, untouched)\n"
      "Examples:\n"
      "  agentguard run -- claude\n"
      "  agentguard run --policy ./team-policy.toml -- aider\n"
      "  agentguard run -- bash          # a guarded shell\n"
      "  agentguard run --strict -- claude   # every exec under the seccomp supervisor\n"
      "Exit status: the command's own; 126 when agentguard refused it.");
  cmd->callback([options, argv] {
    if (!argv->given || argv->words.empty())
      throw CLI::ValidationError("command", "give the command to run: agentguard run [OPTIONS] -- CMD ARGS...");
    Session session;
    try {
      session = prepare_session(*options);
    } catch (const policy::PolicyError& e) {
      std::fprintf(stderr, "agentguard: the policy is broken, so nothing was started.\n%s\n",
                   e.what());
      throw CLI::RuntimeError(2);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "agentguard: cannot start a guarded session: %s\n", e.what());
      throw CLI::RuntimeError(2);
    }
    auto probe = std::async(std::launch::async, probe_supervisor);
    SessionProxy proxy = start_session_proxy(session);
    if (!supervisor_available(probe.get(), session.strict) && session.strict) {
      stop_session_proxy(proxy);
      throw CLI::RuntimeError(126);
    }
    const int status = run_supervised(session, argv->words, guarded_environment(session, current_environment()));
    stop_session_proxy(proxy);
    // Whatever the webhooks did not take yet gets one more try before we go (bounded: the agent has
    // finished and its launch script is waiting).
    try {
      notify::flush(notify::recorded_session_channel(session.id), std::chrono::seconds(5));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "agentguard: could not deliver pending notifications: %s (they stay in the spool)\n", e.what());
    }
    // The session is over: its record goes, and with it the channel of its detached notifiers.
    end_session_record(session.id);
    throw CLI::RuntimeError(status);
  });
}

}  // namespace agentguard::cli
