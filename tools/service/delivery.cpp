#include "service/delivery.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

#include <openssl/crypto.h>

#include "events/durable_file.hpp"
#include "events/spool.hpp"
#include "core/protocol.hpp"
#include "support/detached_spawn.hpp"
#include "support/paths.hpp"

namespace agentguard::service::delivery {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A notifier of the service's own user: nothing of the client's environment, the state directory
// and the session named explicitly (the notifier reads the channel from <state>/sessions/<id>.json).
void start(const std::vector<std::string>& args, const fs::path& state, const std::string& session, std::string input) {
  support::DetachedSpawn notifier{{paths::cli_program().string(), "notify"}, std::vector<std::string>{}, std::move(input)};
  notifier.argv.insert(notifier.argv.end(), args.begin(), args.end());
  *notifier.env = {"PATH=/usr/local/bin:/usr/bin:/bin", std::string(protocol::kEnvStateDir) + "=" + state.string(),
                   std::string(protocol::kEnvSession) + "=" + session};
  const bool started = support::spawn_detached(notifier);
  OPENSSL_cleanse(notifier.input.data(), notifier.input.size());
  if (!started) throw std::runtime_error("cannot start the service's notifier");
}

// <state>/deliveries/<session>/, a state directory of its own for the session's flusher (one
// spool, one channel), written by the service alone.
fs::path session_dir(const std::string& state_dir, const std::string& session, const json& channel) {
  const fs::path dir = fs::path(state_dir) / "deliveries" / session;
  fs::create_directories(dir / "sessions");
  ::chmod((fs::path(state_dir) / "deliveries").c_str(), 0700);
  const fs::path record = dir / "sessions" / (session + ".json");
  if (!fs::exists(record)) events::write_file_durably(record, channel.dump());
  return dir;
}

}  // namespace

void deliver_event(const std::string& state_dir, const std::string& session, const json& channel, const json& event) {
  const fs::path dir = session_dir(state_dir, session, channel);
  events::spool_event(dir, event);
  start({"flush", "--background"}, dir, session, "");
}

void send_approval_request(const std::string& state_dir, const std::string& session, const json& channel, json request) {
  request["channel"] = channel;
  start({"send-approval-request"}, state_dir, session, request.dump());
  if (request.contains("approval") && request["approval"].is_object() && request["approval"].contains("code") &&
      request["approval"]["code"].is_string()) {
    auto& code = request["approval"]["code"].get_ref<std::string&>();
    OPENSSL_cleanse(code.data(), code.size());
  }
}

void send_approval_update(const std::string& state_dir, const std::string& session, const std::string& id) {
  start({"send-approval-update", id}, state_dir, session, "");
}

}  // namespace agentguard::service::delivery
