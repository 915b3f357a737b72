#pragma once
// The state key: 32 random bytes in <state>/keys/state.key (mode 0600), made by the first
// `agentguard run` on a state directory. It keys the audit chain (HMAC-SHA256) and the MACs of the
// trust files the gate reads back (policy snapshots, last-good records). Inside a session the file
// is both write-protected and sealed (a guarded process can neither change nor read it), so what a
// guarded process writes elsewhere cannot pass for something the guard wrote (docs/threat-model.md,
// "The guard protects itself"). The gate and the CLI outside the tree read it.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace agentguard::state_key {

std::filesystem::path file(const std::filesystem::path& state_dir);  // <state>/keys/state.key

// Creates the key if there is none yet; returns its file. Throws std::runtime_error with the reason.
std::filesystem::path ensure(const std::filesystem::path& state_dir);

// The key's 32 bytes; nullopt when there is none (a state directory no session has used yet) or it
// cannot be read (a guarded process, for which the file is sealed).
std::optional<std::string> load(const std::filesystem::path& state_dir);
// load(paths::state_dir()), once per process.
const std::optional<std::string>& current();

// Lowercase hex HMAC-SHA256 of `data` under `key`.
std::string hmac_hex(std::string_view key, std::string_view data);

// Constant-time comparison of two hex MACs.
bool same_mac(std::string_view a, std::string_view b);

}  // namespace agentguard::state_key
