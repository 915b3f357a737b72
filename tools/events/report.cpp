// report(): redact -> audit append -> spool -> wake the notifier.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>


#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/log.hpp"
#include "common/paths.hpp"
#include "events/audit_log.hpp"
#include "events/event.hpp"
#include "events/audit_only.hpp"
#include "events/event_json.hpp"
#include "events/notifier_wake.hpp"
#include "events/redact.hpp"
#include "events/spool.hpp"

namespace agentguard::events {
namespace fs = std::filesystem;

extern "C" char** environ;

void wake_notifier() {
  std::string program;
  std::string state_entry;
  try {
    program = paths::cli_program().string();
    // The notifier runs from "/" (it must not pin the agent's directory), so it gets the state
    // directory as an absolute path.
    state_entry = "AGENTGUARD_STATE_DIR=" + fs::absolute(paths::state_dir()).string();
  } catch (const std::exception& error) {
    log::debug(std::string("not waking the notifier: ") + error.what());
    return;
  }
  if (::access(program.c_str(), X_OK) != 0) {
    log::debug("not waking the notifier: " + program + " is not there");
    return;
  }
  // Everything the child needs is prepared before fork(): after it only async-signal-safe calls.
  const char* argv[] = {program.c_str(), "notify", "flush", "--background", nullptr};
  std::vector<const char*> envp;
  for (char** entry = environ; entry && *entry; ++entry)
    if (std::strncmp(*entry, "AGENTGUARD_STATE_DIR=", 21) != 0) envp.push_back(*entry);
  envp.push_back(state_entry.c_str());
  envp.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) {
    log::warn("cannot start the notifier: fork failed");
    return;
  }
  if (child == 0) {
    if (::fork() != 0) ::_exit(0);  // the middle process exits; the grandchild is adopted by init
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    ::close_range(3, ~0U, 0);
    if (::chdir("/") != 0) ::_exit(127);
    ::execve(argv[0], const_cast<char* const*>(argv), const_cast<char* const*>(envp.data()));
    ::_exit(127);
  }
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
}

namespace {

bool report_event(Event event, bool notify) {
  bool durable = true;
  try {
    Event clean = redact_event(std::move(event));
    nlohmann::json json = to_json(clean);
    fs::path state = paths::ensure_state_dir();
    try {
      const nlohmann::json record = append_audit_record(state, json);
      // The outside anchor: the receiver keeps the record's number and chain hash.
      json["audit"] = {{"seq", record["seq"]}, {"hash", record["hash"]}};
    } catch (const std::exception& error) {
      std::fprintf(stderr, "agentguard: could not write the audit record: %s\n", error.what());
      durable = false;
    }
    if (!notify) return durable;
    try {
      spool_event(state, json);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "agentguard: could not spool the event for notification: %s\n", error.what());
      durable = false;
    }
    wake_notifier();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "agentguard: could not record the event: %s\n", error.what());
    return false;
  }
  return durable;
}

}  // namespace

bool report(Event event) { return report_event(std::move(event), true); }

bool record_in_audit_log(Event event) { return report_event(std::move(event), false); }

}  // namespace agentguard::events
