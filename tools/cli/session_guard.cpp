#include "session_guard.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "agentguard/policy_sections.hpp"
#include "core/protocol.hpp"
#include "support/paths.hpp"
#include "support/state_key.hpp"
#include "core/files/protected_paths.hpp"
#include "events/durable_file.hpp"
#include "notify/notify.hpp"
#include "notify/settings.hpp"
#include "service_client/service_client.hpp"

namespace agentguard::cli {

namespace fs = std::filesystem;

namespace {

// The physical path the preload compares against (it names files as the kernel does).
std::string physical(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  if (ec) throw std::runtime_error("cannot resolve " + path + ": " + ec.message());
  return p.lexically_normal().string();
}

std::string inode_of(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + file.string());
  return std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
         std::to_string(static_cast<unsigned long long>(st.st_ino));
}

}  // namespace

const std::vector<std::string>& channel_variables() {
  static const std::vector<std::string> names = {protocol::kEnvWebhookUrl, protocol::kEnvWebhookFormat,
                                                 protocol::kEnvWebhookSecret, protocol::kEnvWebhookSecretFile};
  return names;
}

void guard_session_files(Session& session, const policy::Policy& policy, const std::string& state_dir) {
  // The human channel, fixed now: whatever the agent later puts into a launch's environment or its
  // project file is never read for it.
  std::vector<std::string> secret_files;
  const notify::Config channel = notify::session_channel(policy, &secret_files, &session.secret_vars);
  const fs::path state = physical(state_dir);
  const fs::path record = state / "sessions" / (session.id + ".json");
  nlohmann::json record_json = notify::channel_to_json(channel);
  record_json["session"] = session.id;
  if (service::mode().kind == service::Mode::unavailable)
    throw std::runtime_error(service::mode().why + ": the session's approvals and records are kept there (`agentguard doctor`)");
  if (service::mode().kind == service::Mode::separated) {
    // Separated mode: the channel is registered with the service, where no program of this user can
    // change it later; the record here only marks the session as running (for its notifiers).
    service::call({{"op", "session.register"}, {"session", session.id}, {"channel", record_json}});
    record_json = {{"session", session.id}, {"channel", "kept by the agentguard service"}};
  }
  fs::create_directories(record.parent_path());
  events::write_file_durably(record, record_json.dump(2));
  fs::permissions(record, fs::perms::owner_read | fs::perms::owner_write);
  const fs::path key = state_key::ensure(state);

  // Write-protected: the state directory (sessions, snapshots, the API-rules blob, last-good
  // records, the spool, approvals, the audit log and its key), the policy layers, the secrets.
  std::vector<std::string> protect = {state.string()};
  for (const auto& layer : session.layer_files) protect.push_back(physical(layer));
  for (const auto& file : secret_files) protect.push_back(physical(file));
  std::string protect_value;
  for (const auto& p : protect) {
    if (p.find(':') != std::string::npos)
      throw std::runtime_error("cannot protect " + p + ": the path contains ':' (move it, or set AGENTGUARD_STATE_DIR)");
    if (!protect_value.empty()) protect_value += ':';
    protect_value += p;
  }
  if (protect.size() > core::ProtectedPaths::kMaxPrefixes)
    throw std::runtime_error("too many files to protect (" + std::to_string(protect.size()) + ", at most " +
                             std::to_string(core::ProtectedPaths::kMaxPrefixes) + "): use fewer policy layers or secret files");

  // Sealed (not even readable): the session record (webhook URLs and secrets), the state key, the secrets.
  std::vector<fs::path> sealed = {record, key};
  for (const auto& file : secret_files) sealed.emplace_back(file);
  if (sealed.size() > 8) throw std::runtime_error("too many webhook secret files (at most 6)");
  std::string sealed_value;
  for (const auto& file : sealed) {
    if (!sealed_value.empty()) sealed_value += ',';
    sealed_value += inode_of(file);
  }
  session.vars[protocol::kEnvProtect] = protect_value;
  session.vars[protocol::kEnvSealed] = sealed_value;
}

void end_session_record(const std::string& session_id) {
  std::error_code ec;
  fs::remove(paths::state_dir() / "sessions" / (session_id + ".json"), ec);
}

}  // namespace agentguard::cli
