#include "notify_settings.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cstdio>
#include <optional>
#include <set>

#include "core/protocol.hpp"
#include "agentguard/policy.hpp"
#include "agentguard/policy_sections.hpp"
#include "policy_layers/layers.hpp"
#include "support/paths.hpp"
#include "notify/notify.hpp"

namespace agentguard::cli {

namespace fs = std::filesystem;

namespace {

fs::path session_file(const std::string& id) { return paths::state_dir() / "sessions" / (id + ".json"); }

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
void add_policy_webhooks(notify::Config& config) {
  std::optional<policy::Policy> loaded;
  try {
    loaded.emplace(policy::Policy::load(layers::session_load_options(fs::current_path().string())));
  } catch (const policy::PolicyError& e) {
    // A broken layer must not silence the webhooks that do not depend on it: the environment's and
    // the session's still send (and carry the gate's "policy-broken" event).
    std::fprintf(stderr, "agentguard: the policy is broken (%s); its [notify] webhooks are not used until it is fixed, "
                         "the webhooks from the environment still send\n", e.what());
    return;
  }
  const policy::Policy& policy = *loaded;
  for (const auto& section : policy.sections("notify")) {
    const toml::value& t = section.value;
    if (t.contains("fold_window_seconds")) config.fold_window_seconds = static_cast<int>(toml::find<int64_t>(t, "fold_window_seconds"));
    if (!t.contains("webhooks")) continue;
    for (const toml::value& h : toml::find<toml::array>(t, "webhooks")) {
      notify::Webhook hook;
      hook.url = toml::find<std::string>(h, "url");
      hook.format = toml::find_or<std::string>(h, "format", notify::guess_format(hook.url));
      hook.name = toml::find_or<std::string>(h, "name", section.file + " [notify]");
      if (const auto var = toml::find_or<std::string>(h, "secret_env", ""); !var.empty())
        hook.secret = std::getenv(var.c_str()) ? std::getenv(var.c_str()) : "";
      if (const auto file = toml::find_or<std::string>(h, "secret_file", ""); !file.empty()) hook.secret = read_file(file);
      config.webhooks.push_back(hook);
    }
  }
}

void add_session_webhooks(notify::Config& config) {
  const char* id = std::getenv(protocol::kEnvSession);
  if (!id || !*id) return;
  std::ifstream in(session_file(id));
  if (!in) return;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return;
  for (const auto& h : j.value("webhooks", nlohmann::json::array()))
    config.webhooks.push_back({h.value("name", "session"), h.value("url", ""), h.value("format", "json"), h.value("secret", "")});
}

}  // namespace

notify::Config notify_settings() {
  notify::Config config = notify::config_from_environment();
  add_session_webhooks(config);
  add_policy_webhooks(config);
  std::set<std::string> seen;
  std::vector<notify::Webhook> unique;
  for (auto& h : config.webhooks)
    if (!h.url.empty() && seen.insert(h.url + " " + h.format).second) unique.push_back(h);
  config.webhooks = unique;
  return config;
}

void remember_session_webhooks(const std::string& session_id) {
  nlohmann::json hooks = nlohmann::json::array();
  try {
    for (const auto& h : notify::config_from_environment().webhooks)
      hooks.push_back({{"name", h.name}, {"url", h.url}, {"format", h.format}, {"secret", h.secret}});
  } catch (const std::exception&) {
    return;  // a broken AGENTGUARD_WEBHOOK_URL is reported by `agentguard notify test` and doctor
  }
  const fs::path file = session_file(session_id);
  fs::create_directories(file.parent_path());
  std::ofstream out(file);
  out << nlohmann::json{{"session", session_id}, {"webhooks", hooks}}.dump(2);
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace agentguard::cli
