#include "session.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>

#include "core/protocol.hpp"
#include "agentguard/api_rules.hpp"
#include "agentguard/launch_settings.hpp"
#include "agentguard/policy.hpp"
#include "policy_layers/layers.hpp"
#include "support/paths.hpp"
#include "policy_layers/policy_cache.hpp"
#include "policy_layers/vouched_policy.hpp"
#include "service_client/service_client.hpp"
#include "core/launch/path_search.hpp"
#include "core/launch/project_scan.hpp"
#include "support/state_key.hpp"
#include "session_guard.hpp"

extern char** environ;

namespace agentguard::cli {

namespace fs = std::filesystem;

namespace {

std::string new_session_id() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> hex(0, 15);
  std::string id = "s_";
  for (int i = 0; i < 12; ++i) id += "0123456789abcdef"[hex(rd)];
  return id;
}

void require_file(const fs::path& p, const char* what) {
  if (access(p.c_str(), R_OK) != 0)
    throw std::runtime_error(std::string("the ") + what + " is missing at " + p.string() +
                             " (rebuild with `cmake --build build`, or reinstall agentguard)");
}

// The API rules, compiled once into the plain-data blob every guarded process maps read-only on its
// first TLS write (no TOML parsing inside the agent's processes).
// The layers' policy and compiled API rules. On layers already seen (same files, same texts: the
// snapshot key) both come from the policy cache, so starting a session parses no TOML; otherwise
// the TOML is parsed (which is what reports a broken layer) and both are cached for the next
// session and for the gate.
struct SessionPolicy {
  policy::Policy policy;
  std::string api_rules;
  std::optional<fs::path> vouched_api_rules;  // the separated mode: the service's file, for the preload
};

// The separated mode: the snapshot and the compiled API rules come from the service's directory
// (policy_cache.hpp, "vouched"), never from the user's state directory, which a program the
// preload is not in could rewrite; on layers the service has not seen, the session parses them
// (which reports a broken layer as always) and asks the service to make both. A service that does
// not keep them means no session (fail closed).
SessionPolicy load_vouched_session_policy(const policy::LoadOptions& load) {
  const auto cache = vouched_policy::cache();
  if (!cache) throw std::runtime_error(service::mode().why);
  const std::vector<policy::LayerText> layers = policy::Policy::read_layers(load);
  const std::string key = policy_cache::key_for(load, layers);
  std::optional<policy::Policy> pol = policy_cache::read_vouched(cache->dir, cache->owner, key, layers);
  auto blob = pol ? policy_cache::vouched_api_rules(cache->dir, cache->owner, key) : std::nullopt;
  if (!pol || !blob) {
    pol.emplace(policy::Policy::from_layers(layers, load.builtin_default, load.api_rules));
    vouched_policy::request(layers, load.builtin_default);
    blob = policy_cache::vouched_api_rules(cache->dir, cache->owner, key);
    if (!blob)
      throw std::runtime_error("the agentguard service did not keep this policy's API rules where only it can write (" +
                               (cache->dir / (key + ".api-rules")).string() + ")");
  }
  return {std::move(*pol), "", std::move(blob)};
}

SessionPolicy load_session_policy(const policy::LoadOptions& load) {
  if (vouched_policy::kept_by_service()) return load_vouched_session_policy(load);
  const std::vector<policy::LayerText> layers = policy::Policy::read_layers(load);
  std::string key;
  try {
    key = policy_cache::key_for(load, layers);
  } catch (const std::exception&) {
    // No key, no cache: parse.
  }
  if (!key.empty()) {
    auto blob = policy_cache::read_api_rules(key);
    auto cached = blob ? policy_cache::read(key, layers) : std::nullopt;
    if (cached) return {std::move(*cached), std::move(*blob), std::nullopt};
  }
  policy::Policy parsed = policy::Policy::from_layers(layers, load.builtin_default, load.api_rules);
  std::string blob = policy::compile_api_rules(parsed.api_rules());
  if (!key.empty()) {
    // A cache that cannot be written only costs the next session (and the gate's first launch) a parse.
    policy_cache::write(key, parsed);
    policy_cache::write_api_rules(key, blob);
  }
  return {std::move(parsed), std::move(blob), std::nullopt};
}

fs::path write_api_rules(const fs::path& state, const std::string& session_id, const std::string& blob) {
  const fs::path dir = state / "sessions";
  fs::create_directories(dir);
  const fs::path file = dir / (session_id + ".api-rules");
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(blob.data(), static_cast<std::streamsize>(blob.size()));
    if (!out) throw std::runtime_error("cannot write the compiled API rules to " + tmp.string());
  }
  fs::rename(tmp, file);
  return file;
}

std::string env_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

// Strict mode's exec token (core/launch/strict_token.hpp): 128 random bits, never all zeroes.
std::string new_strict_token() {
  std::random_device rd;
  std::string token;
  do {
    token.clear();
    for (int i = 0; i < 32; ++i) token += "0123456789abcdef"[rd() & 15u];
  } while (token.find_first_not_of('0') == std::string::npos);
  return token;
}

}  // namespace

Session prepare_session(const SessionOptions& options) {
  Session s;
  s.id = new_session_id();
  if (!options.builtin_only) {
    // AGENTGUARD_POLICY's files, then --policy's, each above the system and user files.
    std::vector<std::string> named = layers::files_from_environment();
    named.insert(named.end(), options.policy_files.begin(), options.policy_files.end());
    s.layer_files = layers::files_in_force(named);
  }

  policy::LoadOptions load;
  load.files = s.layer_files;
  // The project's .agentguard.toml (where the agent starts) also names programs to watch and API rules.
  const std::string project = options.builtin_only ? std::string() : policy::find_project_policy(fs::current_path().string());
  if (!project.empty()) load.project_files.push_back(project);

  if (!options.state_dir.empty()) setenv(protocol::kEnvStateDir, fs::absolute(options.state_dir).c_str(), 1);
  const fs::path state = paths::ensure_state_dir();
  state_key::ensure(state);  // before any snapshot is read or written: they carry its MAC
  // Validated now, so a broken policy is reported before the agent starts, not at its first launch.
  const SessionPolicy compiled = load_session_policy(load);
  const policy::Policy& policy = compiled.policy;

  const fs::path lib = paths::preload_library();
  const fs::path gate = paths::gate_program();
  require_file(lib, "preload library");
  require_file(gate, "gate program");

  const char* path_env = std::getenv("PATH");
  s.vars[protocol::kEnvLib] = lib.string();
  s.vars[protocol::kEnvGate] = gate.string();
  // r=: the project file whose programs this list covers (none: empty). The preload sends a launch
  // under any other project file, or under this one once edited, to the gate (docs/policy.md).
  std::string watch = policy.watch_list(path_env ? path_env : "/usr/local/bin:/usr/bin:/bin") + ";r=";
  if (char key[96]; !project.empty() && core::project_file_key(project.c_str(), key, sizeof key)) watch += key;
  s.vars[protocol::kEnvWatch] = watch;
  s.vars[protocol::kEnvPolicy] = layers::join(s.layer_files);
  s.vars[protocol::kEnvStateDir] = state.string();
  s.vars[protocol::kEnvSession] = s.id;
  s.vars[protocol::kEnvApiRules] = compiled.vouched_api_rules ? compiled.vouched_api_rules->string()
                                                               : write_api_rules(state, s.id, compiled.api_rules).string();
  guard_session_files(s, policy, state.string());

  std::string preload = lib.string();
  if (const char* existing = std::getenv("LD_PRELOAD"); existing && *existing) {
    // Keep the caller's own preloads, after ours; drop a stale copy of ours.
    std::string rest;
    std::string list = existing;
    for (size_t start = 0; start <= list.size();) {
      size_t end = list.find_first_of(": ", start);
      if (end == std::string::npos) end = list.size();
      std::string item = list.substr(start, end - start);
      if (!item.empty() && fs::path(item).filename() != lib.filename()) rest += ":" + item;
      start = end + 1;
    }
    preload += rest;
  }
  s.vars["LD_PRELOAD"] = preload;
  s.strict = options.strict || policy::launch_settings(policy).strict;
  if (s.strict) s.vars[protocol::kEnvStrict] = new_strict_token();
  return s;
}

std::vector<std::string> guarded_environment(const Session& session, const std::vector<std::string>& base) {
  std::vector<std::string> out;
  // So that `agentguard doctor` (and approvals help) work inside the tree even when agentguard runs
  // from a build directory: its own bin/ goes at the end of PATH when `agentguard` is not found there.
  const std::string bin = paths::cli_program().parent_path().string();
  for (const auto& entry : base) {
    if (session.vars.count(env_name(entry))) continue;
    // The human channel is in the session record; the agent gets no webhook URL or secret.
    const auto& channel = channel_variables();
    if (std::find(channel.begin(), channel.end(), env_name(entry)) != channel.end()) continue;
    // So do the variables the [notify] tables name as holding a webhook's secret.
    if (std::find(session.secret_vars.begin(), session.secret_vars.end(), env_name(entry)) != session.secret_vars.end())
      continue;
    if (entry.rfind("PATH=", 0) == 0) {
      char found[4096];
      if (!core::find_in_path("agentguard", entry.c_str() + 5, found, sizeof found)) {
        out.push_back(entry + ":" + bin);
        continue;
      }
    }
    out.push_back(entry);
  }
  for (const auto& [name, value] : session.vars) out.push_back(name + "=" + value);
  return out;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) out.emplace_back(*e);
  return out;
}

}  // namespace agentguard::cli
