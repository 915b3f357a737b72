#pragma once
// Precompiled policy snapshots, so a gated launch does not parse the TOML policy (docs/architecture.md,
// "The policy snapshot"). A snapshot is found by a key that covers everything the policy is made
// from: the snapshot format, agentguard's version, the built-in default policy (whether it is in
// force, and the SHA-256 of its text, computed at build time), and each layer's file name, full text
// and project flag. The caller reads the layer files it would read anyway, so an edit - whatever its
// size or timestamp - is a different key. Any problem with a snapshot (missing, truncated, corrupted,
// another format or owner) means "parse the TOML"; it never means "no rules".
//
//   <state>/policy-cache/<key>.snap:
//     agentguard-policy-snapshot <format>\n
//     <key>\n
//     <SHA-256 of the payload>\n
//     <payload: Policy::to_snapshot()>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::policy_cache {

// Lowercase hex SHA-256 over the inputs named above (options.api_rules is not among them: a
// snapshot never holds the API rules' bodies).
std::string key_for(const policy::LoadOptions& options, const std::vector<policy::LayerText>& layers);

std::filesystem::path directory();                       // <state>/policy-cache
std::filesystem::path file_for(const std::string& key);  // <state>/policy-cache/<key>.snap

// The policy from the snapshot with that key, or nullopt when there is none or it cannot be used.
std::optional<policy::Policy> read(const std::string& key, const std::vector<policy::LayerText>& layers);

// Writes the snapshot of `policy` under `key` atomically (a temporary file, then rename), and keeps
// the directory to the newest 32 snapshots. False if it could not be written (the launch goes on).
bool write(const std::string& key, const policy::Policy& policy) noexcept;

// The session's compiled API rules (policy::compile_api_rules of the same layers, which a snapshot
// does not hold), framed and MACed the same way in <state>/policy-cache/<key>.api-rules, so
// `agentguard run` on unchanged layers parses no TOML at all. nullopt: none, or not usable.
std::filesystem::path api_rules_file_for(const std::string& key);
std::optional<std::string> read_api_rules(const std::string& key);
bool write_api_rules(const std::string& key, const std::string& compiled) noexcept;

// The file image write() produces, and the payload read() accepts from it (nullopt: unusable).
std::string frame(const std::string& key, const std::string& payload);
std::optional<std::string> unframe(const std::string& key, const std::string& file_image);

// The separated mode's vouched cache (docs/architecture.md, "The separated mode"): the service
// parses the layer texts a client sends, computes their key itself and writes the snapshot and the
// compiled API rules into a directory only it writes, <service state>/policy-cache/<uid>/. Its
// files are framed like the ones above but checked with a plain SHA-256 (the reader cannot know
// the service's key): what makes them trustworthy is their owner. So a snapshot or an API-rules
// blob planted in the user's own state directory is simply never read in that mode, and the
// service vouches only for what it derived itself (a lenient text gets its own key, never the key
// of the real files).
//   <dir>/<key>.snap        the snapshot, framed
//   <dir>/<key>.api-rules   the compiled API rules, raw: the preload maps this file
std::filesystem::path vouched_directory(const std::filesystem::path& service_state_dir, uid_t uid);
// The snapshot under `key` in `dir`, when `dir`, the directory above it and the file belong to
// `owner` and nobody else may write them; nullopt otherwise (parse the TOML).
std::optional<policy::Policy> read_vouched(const std::filesystem::path& dir, uid_t owner, const std::string& key,
                                           const std::vector<policy::LayerText>& layers);
// The blob file under `key` in `dir`, on the same conditions (and a valid compiled rule set).
std::optional<std::filesystem::path> vouched_api_rules(const std::filesystem::path& dir, uid_t owner,
                                                       const std::string& key);
// For the service: both files, world-readable, atomically. Throws std::runtime_error.
void write_vouched(const std::filesystem::path& dir, const std::string& key, const policy::Policy& policy,
                   const std::string& compiled_api_rules);

}  // namespace agentguard::policy_cache
