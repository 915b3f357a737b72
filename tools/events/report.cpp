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

#include "support/log.hpp"
#include "core/protocol.hpp"
#include "support/paths.hpp"
#include "events/audit_log.hpp"
#include "events/event.hpp"
#include "events/audit_only.hpp"
#include "events/event_json.hpp"
#include "events/notifier_wake.hpp"
#include "events/redact.hpp"
#include "events/spool.hpp"
#include "service_client/service_client.hpp"
#include "support/detached_spawn.hpp"

namespace agentguard::events {
namespace fs = std::filesystem;

void wake_notifier() {
  support::DetachedSpawn notifier;
  try {
    notifier.argv = {paths::cli_program().string(), "notify", "flush", "--background"};
    // The notifier runs from "/" (it must not pin the agent's directory): the state directory
    // goes to it as an absolute path.
    notifier.env = paths::environment_for_helper();
  } catch (const std::exception& error) {
    log::debug(std::string("not waking the notifier: ") + error.what());
    return;
  }
  if (::access(notifier.argv[0].c_str(), X_OK) != 0) {
    log::debug("not waking the notifier: " + notifier.argv[0] + " is not there");
    return;
  }
  if (!support::spawn_detached(notifier)) log::warn("cannot start the notifier: fork failed");
}

namespace {

bool report_event(Event event, bool notify) {
  bool durable = true;
  try {
    Event clean = redact_event(std::move(event));
    nlohmann::json json = to_json(clean);
    fs::path state = paths::ensure_state_dir();
    try {
      const nlohmann::json record = record_event(state, json);
      // The outside anchor: the receiver keeps the record's number and chain hash.
      json["audit"] = {{"seq", record["seq"]}, {"hash", record["hash"]}};
    } catch (const std::exception& error) {
      std::fprintf(stderr, "agentguard: could not write the audit record: %s\n", error.what());
      durable = false;
    }
    if (!notify) return durable;
    // The separated mode: the service spools and sends it with its own notifier, out of reach of
    // this user's programs (service/delivery.hpp); nothing goes to this user's spool.
    if (const char* session = std::getenv(protocol::kEnvSession);
        session && *session && service::mode().kind != service::Mode::same_user) {
      try {
        service::call({{"op", "notify.event"}, {"session", session}, {"event", json}});
      } catch (const std::exception& error) {
        std::fprintf(stderr, "agentguard: could not hand the event to the agentguard service for notification: %s\n",
                     error.what());
        durable = false;
      }
      return durable;
    }
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
