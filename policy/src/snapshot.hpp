#pragma once
// The policy snapshot's payload: the parsed layers (exec rules, plan rules, disables, API rule ids,
// raw section names, every location) encoded as CBOR with nlohmann-json, so the gate can skip the
// TOML parser. Framing, keys, checksums and files are the caller's (tools/policy_layers/policy_cache).
#include <string>
#include <string_view>
#include <vector>

#include "loader.hpp"

namespace agentguard::policy::detail {

inline constexpr int kSnapshotFormat = kPolicySnapshotFormat;

std::string encode_snapshot(const std::vector<Layer>& layers);

// The layers again; `texts` are the files above the built-in default the snapshot was made from
// (their names and project flags must match). Restored layers have no TOML root (root_pending).
// Throws SnapshotError for anything malformed, truncated or of another format.
std::vector<Layer> decode_snapshot(std::string_view bytes, const std::vector<LayerText>& texts);

}  // namespace agentguard::policy::detail
