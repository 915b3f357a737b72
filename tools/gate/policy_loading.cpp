#include "policy_loading.hpp"

#include <filesystem>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>

#include "support/paths.hpp"
#include "policy_layers/policy_cache.hpp"
#include "policy_layers/vouched_policy.hpp"
#include "support/digest.hpp"
#include "support/state_key.hpp"
#include "events/durable_file.hpp"
#include "events/event.hpp"

namespace agentguard::gate {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// One record per set of layer files, so sessions with different layers do not overwrite each other.
fs::path record_for(const policy::LoadOptions& options) {
  std::string key;
  for (const auto& f : options.files) key += f + "\n";
  key += "project:\n";
  for (const auto& f : options.project_files) key += f + "\n";
  return paths::ensure_state_dir() / "policy-last-good" / (digest::sha256_hex(key).substr(0, 32) + ".json");
}

std::string fingerprint(const std::vector<policy::LayerText>& layers) {
  std::string all;
  for (const auto& l : layers) all += l.file + '\0' + l.text + '\0' + (l.project ? "p" : "") + '\0';
  return digest::sha256_hex(all);
}

void remember(const fs::path& record, const std::vector<policy::LayerText>& layers) {
  const std::string hash = fingerprint(layers);
  std::ifstream in(record, std::ios::binary);
  if (in) {
    // The usual case: nothing changed. The record is nlohmann's compact dump, where `"hash":"` can
    // only be the key itself (a quote inside a string is escaped), so finding it needs no parse.
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("\"hash\":\"" + hash + "\"") != std::string::npos) return;
  }
  json j = {{"hash", hash}, {"layers", json::array()}};
  for (const auto& l : layers) j["layers"].push_back({{"file", l.file}, {"text", l.text}, {"project", l.project}});
  if (const auto& key = state_key::current()) j["mac"] = state_key::hmac_hex(*key, j.dump());
  fs::create_directories(record.parent_path());
  events::write_file_durably(record, j.dump());
}

std::optional<std::vector<policy::LayerText>> last_good(const fs::path& record) {
  std::ifstream in(record);
  if (!in) return std::nullopt;
  const auto j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("layers") || !j["layers"].is_array()) return std::nullopt;
  // Only a record this guard wrote: with a state key, its MAC must match (a planted record, which
  // the preload keeps out of the state directory anyway, is ignored: the layers are parsed afresh).
  if (const auto& key = state_key::current()) {
    json without = j;
    without.erase("mac");
    if (!j.contains("mac") || !j["mac"].is_string() ||
        !state_key::same_mac(j["mac"].get<std::string>(), state_key::hmac_hex(*key, without.dump())))
      return std::nullopt;
  }
  std::vector<policy::LayerText> layers;
  for (const auto& l : j["layers"]) layers.push_back({l.value("file", ""), l.value("text", ""), l.value("project", false)});
  return layers;
}

// Tells the human, once per broken version, that an edit broke the policy and what stays in force.
void report_broken(const fs::path& record, const std::string& why) {
  const fs::path marker = record.string() + ".broken";
  std::ifstream in(marker);
  std::string reported((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (reported == why) return;
  events::Event ev = events::make_event();
  ev.kind = "policy";
  ev.decision = "log";
  ev.rule_id = "policy-broken";
  ev.policy_file = why.substr(0, why.find(": "));
  ev.message = "The policy does not load (" + why + "). The last good policy stays in force until it is fixed; "
               "`agentguard policy check` shows the error.";
  if (events::report(ev)) events::write_file_durably(marker, why);
}

// The separated mode: a snapshot only from the service's directory (it parsed the texts itself),
// never from the user's state directory, and no last-good fallback. The service cannot tell
// whether texts a client sends were ever the real files, and a record the user's own programs
// can write is one a static program can forge; so a broken layer refuses every watched launch
// until it is fixed (docs/policy.md, "A broken policy"). Fail closed, never "allow everything".
LoadedPolicy load_vouched(const policy::LoadOptions& options) {
  const std::vector<policy::LayerText> layers = policy::Policy::read_layers(options);
  const auto cache = vouched_policy::cache();
  std::string key;
  try {
    key = policy_cache::key_for(options, layers);
  } catch (const std::exception&) {
    // No key, no snapshot: parse.
  }
  if (cache && !key.empty())
    if (auto pol = policy_cache::read_vouched(cache->dir, cache->owner, key, layers)) return {std::move(*pol), ""};
  policy::Policy pol = policy::Policy::from_layers(layers, options.builtin_default, options.api_rules);
  try {
    // So that the next launch finds it (`agentguard run` normally has asked already).
    if (cache) vouched_policy::request(layers, options.builtin_default);
  } catch (const std::exception&) {
    // Only the next launch's speed depends on it.
  }
  return {std::move(pol), ""};
}

}  // namespace

LoadedPolicy load_policy(const policy::LoadOptions& options) {
  if (vouched_policy::kept_by_service()) return load_vouched(options);
  const fs::path record = record_for(options);
  try {
    const std::vector<policy::LayerText> layers = policy::Policy::read_layers(options);
    // The snapshot of exactly these layers (same names, same texts), else the TOML; a snapshot is
    // only ever written for layers that loaded, so a broken edit always ends up below.
    std::string key;
    try {
      key = policy_cache::key_for(options, layers);
    } catch (const std::exception&) {
      // No key, no snapshot: parse.
    }
    std::optional<policy::Policy> pol;
    if (!key.empty()) pol = policy_cache::read(key, layers);
    const bool from_snapshot = pol.has_value();
    if (!pol) pol.emplace(policy::Policy::from_layers(layers, options.builtin_default, options.api_rules));
    try {
      remember(record, layers);
    } catch (const std::exception&) {
      // Not being able to keep a copy only weakens the fallback; this launch is decided all the same.
    }
    if (!from_snapshot && !key.empty()) policy_cache::write(key, *pol);
    return {std::move(*pol), ""};
  } catch (const policy::PolicyError& e) {
    auto layers = last_good(record);
    if (!layers) throw;
    policy::Policy pol = policy::Policy::from_layers(*layers, options.builtin_default);
    report_broken(record, e.what());
    return {std::move(pol), e.what()};
  }
}

}  // namespace agentguard::gate
