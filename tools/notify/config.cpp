// Webhook configuration from the environment (the policy's [notify] table is merged in by the caller).
#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "events/durable_file.hpp"
#include "core/protocol.hpp"
#include "notify/notify.hpp"
#include "notify/payload.hpp"

namespace agentguard::notify {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

std::string read_secret() {
  std::string secret = env(protocol::kEnvWebhookSecret);
  if (!secret.empty()) return secret;
  std::string file = env(protocol::kEnvWebhookSecretFile);
  if (file.empty()) return "";
  try {
    secret = trim(events::read_whole_file(file));
  } catch (const std::exception& error) {
    throw std::runtime_error("AGENTGUARD_WEBHOOK_SECRET_FILE: " + std::string(error.what()));
  }
  if (secret.empty()) throw std::runtime_error("AGENTGUARD_WEBHOOK_SECRET_FILE: " + file + " is empty");
  return secret;
}

}  // namespace

bool is_known_format(const std::string& format) { return format == "json" || format == "slack" || format == "discord"; }

std::string guess_format(const std::string& url) {
  if (url.find("://hooks.slack.com/") != std::string::npos) return "slack";
  if (url.find("://discord.com/api/webhooks/") != std::string::npos ||
      url.find("://discordapp.com/api/webhooks/") != std::string::npos)
    return "discord";
  return "json";
}

Config config_from_environment() {
  Config config;
  std::string urls = env(protocol::kEnvWebhookUrl);
  std::string default_format = env(protocol::kEnvWebhookFormat);
  if (!default_format.empty() && !is_known_format(default_format))
    throw std::runtime_error("AGENTGUARD_WEBHOOK_FORMAT=\"" + default_format + "\" is not json, slack or discord");
  std::string secret = urls.empty() ? "" : read_secret();

  size_t index = 0;
  std::string token;
  auto take = [&] {
    if (token.empty()) return;
    Webhook hook;
    hook.name = "AGENTGUARD_WEBHOOK_URL[" + std::to_string(++index) + "]";
    hook.url = token;
    for (const char* prefix : {"json:", "slack:", "discord:"}) {
      std::string p = prefix;
      if (hook.url.rfind(p, 0) == 0) {
        hook.format = p.substr(0, p.size() - 1);
        hook.url = hook.url.substr(p.size());
      }
    }
    if (hook.url.rfind("http://", 0) != 0 && hook.url.rfind("https://", 0) != 0)
      throw std::runtime_error("AGENTGUARD_WEBHOOK_URL: \"" + token +
                               "\" is not an http:// or https:// URL (prefix it with json:, slack: or discord: to "
                               "choose the format)");
    if (hook.format.empty()) hook.format = default_format.empty() ? guess_format(hook.url) : default_format;
    hook.secret = secret;
    config.webhooks.push_back(hook);
    token.clear();
  };
  for (char c : urls) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      take();
    } else {
      token.push_back(c);
    }
  }
  take();
  return config;
}

std::string how_to_configure() {
  return "no webhook is configured. Set one (or several, separated by spaces or commas) with\n"
         "  export AGENTGUARD_WEBHOOK_URL=https://hooks.slack.com/services/...   (or discord:URL, json:URL)\n"
         "  export AGENTGUARD_WEBHOOK_SECRET_FILE=~/.config/agentguard/webhook-secret   (optional, signs requests)\n"
         "or add a [notify] table to your policy. See docs/notifications.md.";
}

}  // namespace agentguard::notify
