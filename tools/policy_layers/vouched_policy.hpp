#pragma once
// The client side of the separated mode's vouched policy cache (policy_cache.hpp, "vouched"): where
// this uid's snapshots and compiled API rules are, and asking the service to make them. In that
// mode the gate and `agentguard run` never read a snapshot, an API-rules blob or a last-good record
// from the user's own state directory, which any program of the user can write (docs/threat-model.md,
// "The separated mode").
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::vouched_policy {

// Whether the service keeps this uid's trust files: the separated mode, and the unavailable one
// (a service that should answer and does not: nothing falls back to the state directory).
bool kept_by_service();

struct Cache {
  std::filesystem::path dir;  // <service state>/policy-cache/<uid>
  uid_t owner = 0;            // the service's uid: the directory and its files must be its
};
// nullopt unless the service answers for this uid.
std::optional<Cache> cache();

// Asks the service to parse `layers` and keep their snapshot and compiled API rules under the key
// it computes from them. Throws std::runtime_error with the service's reason (a broken layer: its
// file:line:col).
void request(const std::vector<policy::LayerText>& layers, bool builtin_default);

}  // namespace agentguard::vouched_policy
