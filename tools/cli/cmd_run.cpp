// `agentguard run [--policy FILE]... -- CMD ARGS...`: the line for an agent's launch script.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
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
#include "support/guarded.hpp"
#include "notify/notify.hpp"
#include "notify/settings.hpp"
#include "session.hpp"
#include "session_proxy.hpp"
#include "session_guard.hpp"
#include "supervisor_probe.hpp"

namespace agentguard::cli {

namespace {
// Static programs (terraform among them) need the gate's seccomp supervisor. Where the kernel
// refuses it they will be refused, launch by launch; say so once, up front. Returns false if it
// is unavailable (a strict session then does not start: nothing may run unsupervised).
// The probe (when no earlier "yes" is kept: supervisor_probe.hpp) runs while the session's proxy
// starts; its verdict is told once the proxy is up.
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
// `agentguard run` inside a guarded tree: the tree's own session already guards everything started
// here, and this process may not write the guard's files to make a second one (a nested session
// could only be the same or weaker). So the command runs under the session it is in, exactly as if
// it had been started without `agentguard run`; options that would change that session's policy,
// mode or state directory are refused rather than silently ignored. Does not return.
[[noreturn]] void run_in_the_outer_session(const std::vector<std::string>& words, const std::string& changed) {
  const char* session = std::getenv(protocol::kEnvSession);
  const std::string which = session && *session ? std::string("session ") + session : std::string("a guarded session");
  if (!changed.empty()) {
    std::fprintf(stderr,
                 "agentguard: refused: this is already %s, and a nested `agentguard run` cannot change its %s; nothing "
                 "was started. Run the command without `agentguard run` (it is guarded by the session it is in), or "
                 "start a new session from outside the guarded tree.\n",
                 which.c_str(), changed.c_str());
    throw CLI::RuntimeError(2);
  }
  std::fprintf(stderr, "agentguard: already inside %s: `%s` runs under it (its policy and protections apply).\n",
               which.c_str(), words.front().c_str());
  std::fflush(nullptr);
  std::vector<char*> argv;
  for (const auto& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());  // through the preload's hook: decided like any launch of the tree
  const int error = errno;
  std::fprintf(stderr, "agentguard: %s: %s\n", words.front().c_str(), std::strerror(error));
  throw CLI::RuntimeError(error == ENOENT ? 127 : 126);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Run a command (your agent) with every process it starts guarded");
  auto options = std::make_shared<SessionOptions>();
  auto* policy_option = cmd->add_option("--policy", options->policy_files,
                  "Policy file layered above the built-in default, system, user and AGENTGUARD_POLICY policies (repeatable)");
  cmd->add_option("--state-dir", options->state_dir, "Where the audit log and the notification spool live")
      ->envname(protocol::kEnvStateDir);
  auto* default_option = cmd->add_flag("--default-only", options->builtin_only, "Use only the built-in default policy");
  auto* strict_option = cmd->add_flag("--strict", options->strict,
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
  cmd->callback([options, argv, policy_option, default_option, strict_option] {
    if (!argv->given || argv->words.empty())
      throw CLI::ValidationError("command", "give the command to run: agentguard run [OPTIONS] -- CMD ARGS...");
    if (guarded::inside_guarded_tree(nullptr) && std::getenv(protocol::kEnvSession) != nullptr) {
      std::string changed;
      const auto add = [&](const char* what) { changed += (changed.empty() ? "" : ", ") + std::string(what); };
      if (policy_option->count() > 0) add("policy (--policy)");
      if (default_option->count() > 0) add("policy (--default-only)");
      if (strict_option->count() > 0) add("mode (--strict)");
      const char* state = std::getenv(protocol::kEnvStateDir);
      if (!options->state_dir.empty() && (state == nullptr || std::filesystem::absolute(options->state_dir) != std::filesystem::path(state)))
        add("state directory (--state-dir)");
      run_in_the_outer_session(argv->words, changed);
    }
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
    const std::string probe_key = supervisor_probe_key();
    const bool known_available = supervisor_known_available(probe_key);
    std::future<subprocess::Result> probe;
    if (!known_available) probe = std::async(std::launch::async, probe_supervisor);
    SessionProxy proxy = start_session_proxy(session);
    if (!known_available) {
      if (supervisor_available(probe.get(), session.strict)) {
        remember_supervisor_available(probe_key);
      } else if (session.strict) {
        stop_session_proxy(proxy);
        throw CLI::RuntimeError(126);
      }
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
