#include "notify/settings.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "agentguard/policy.hpp"
#include "agentguard/policy_sections.hpp"
#include "core/protocol.hpp"
#include "notify/notify.hpp"
#include "policy_layers/layers.hpp"
#include "service_client/service_client.hpp"
#include "support/paths.hpp"

namespace agentguard::notify {

namespace fs = std::filesystem;

namespace {

fs::path session_file(const std::string& id) {
  if (id.empty() || id.find('/') != std::string::npos || id[0] == '.') return {};
  return paths::state_dir() / "sessions" / (id + ".json");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the webhook secret file " + path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// [notify] in a policy layer:
//   webhooks = [ { url = "...", format = "json|slack|discord", name = "...", secret_env = "VAR", secret_file = "..." } ]
//   fold_window_seconds = 60
//   approval_page = "http://127.0.0.1:8765"   # where `agentguard ui --port 8765` serves the page
void add_webhooks_of(const policy::Policy& policy, Config& config, std::vector<std::string>* secret_files,
                     std::vector<std::string>* secret_vars = nullptr) {
  for (const auto& section : policy.sections("notify")) {
    const toml::value& t = section.value;
    if (t.contains("fold_window_seconds")) config.fold_window_seconds = static_cast<int>(toml::find<int64_t>(t, "fold_window_seconds"));
    if (t.contains("approval_page")) config.approval_page = toml::find<std::string>(t, "approval_page");  // the last layer wins
    if (!t.contains("webhooks")) continue;
    for (const toml::value& h : toml::find<toml::array>(t, "webhooks")) {
      Webhook hook;
      hook.url = toml::find<std::string>(h, "url");
      hook.format = toml::find_or<std::string>(h, "format", guess_format(hook.url));
      hook.name = toml::find_or<std::string>(h, "name", section.file + " [notify]");
      if (const auto var = toml::find_or<std::string>(h, "secret_env", ""); !var.empty()) {
        hook.secret = std::getenv(var.c_str()) ? std::getenv(var.c_str()) : "";
        if (secret_vars) secret_vars->push_back(var);
      }
      if (const auto file = toml::find_or<std::string>(h, "secret_file", ""); !file.empty()) {
        hook.secret = read_file(file);
        if (secret_files) secret_files->push_back(file);
      }
      config.webhooks.push_back(hook);
    }
  }
}

void add_policy_webhooks(Config& config) {
  std::optional<policy::Policy> loaded;
  try {
    loaded.emplace(policy::Policy::load(layers::session_load_options(fs::current_path().string())));
  } catch (const policy::PolicyError& e) {
    // A broken layer must not silence the webhooks that do not depend on it: the environment's
    // still send (and carry the gate's "policy-broken" event).
    std::fprintf(stderr, "agentguard: the policy is broken (%s); its [notify] webhooks are not used until it is fixed, "
                         "the webhooks from the environment still send\n", e.what());
    return;
  }
  add_webhooks_of(*loaded, config, nullptr);
}

void drop_duplicates(Config& config) {
  std::set<std::string> seen;
  std::vector<Webhook> unique;
  for (auto& h : config.webhooks)
    if (!h.url.empty() && seen.insert(h.url + " " + h.format).second) unique.push_back(h);
  config.webhooks = unique;
}

}  // namespace

Config recorded_session_channel(const std::string& session_id) {
  Config config;
  // Separated mode: the channel was registered with the service when the session started, and
  // only there can nobody of this user change it (the record in the state directory holds none).
  if (service::mode().kind == service::Mode::separated) {
    try {
      const auto reply = service::call({{"op", "session.channel"}, {"session", session_id}});
      if (reply.contains("channel")) return channel_from_json(reply["channel"]);
    } catch (const std::exception&) {
      // Not reachable: nobody can be told from here, and the callers say so.
    }
    return config;
  }
  std::ifstream in(session_file(session_id));
  if (!in) return config;  // no record (the session ended, or never had one): nobody to tell from here
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return config;
  return channel_from_json(j);
}

nlohmann::json channel_to_json(const Config& channel) {
  nlohmann::json hooks = nlohmann::json::array();
  for (const auto& h : channel.webhooks)
    hooks.push_back({{"name", h.name}, {"url", h.url}, {"format", h.format}, {"secret", h.secret}});
  return {{"webhooks", hooks}, {"fold_window_seconds", channel.fold_window_seconds}, {"approval_page", channel.approval_page}};
}

Config channel_from_json(const nlohmann::json& j) {
  Config config;
  if (!j.is_object()) return config;
  config.fold_window_seconds = j.value("fold_window_seconds", config.fold_window_seconds);
  config.approval_page = j.value("approval_page", std::string());
  for (const auto& h : j.value("webhooks", nlohmann::json::array()))
    config.webhooks.push_back({h.value("name", "session"), h.value("url", ""), h.value("format", "json"), h.value("secret", "")});
  return config;
}

bool session_record_exists(const std::string& session_id) {
  std::error_code ec;
  return fs::exists(session_file(session_id), ec);
}

Config notify_settings() {
  // Inside a guarded session the human channel is the one `agentguard run` fixed at start: the
  // environment here is a launch's, which the agent controls (docs/threat-model.md).
  if (const char* id = std::getenv(protocol::kEnvSession); id && *id) return recorded_session_channel(id);
  Config config = config_from_environment();
  add_policy_webhooks(config);
  drop_duplicates(config);
  return config;
}

Config session_channel(const policy::Policy& policy, std::vector<std::string>* secret_files,
                       std::vector<std::string>* secret_vars) {
  Config config;
  try {
    config = config_from_environment();
  } catch (const std::exception&) {
    // A broken AGENTGUARD_WEBHOOK_URL is reported by `agentguard notify test` and doctor.
  }
  if (const char* file = std::getenv(protocol::kEnvWebhookSecretFile); file && *file && !config.webhooks.empty())
    secret_files->push_back(file);
  add_webhooks_of(policy, config, secret_files, secret_vars);
  drop_duplicates(config);
  return config;
}

bool channel_configured(const policy::Policy* policy) {
  if (const char* id = std::getenv(protocol::kEnvSession); id && *id) return !recorded_session_channel(id).webhooks.empty();
  try {
    if (!config_from_environment().webhooks.empty()) return true;
  } catch (const std::exception&) {
    return false;  // a broken AGENTGUARD_WEBHOOK_URL notifies nobody
  }
  if (policy == nullptr) return false;
  for (const auto& section : policy->sections("notify"))
    if (section.value.contains("webhooks") && section.value.at("webhooks").is_array() &&
        !section.value.at("webhooks").as_array().empty())
      return true;
  return false;
}

}  // namespace agentguard::notify
