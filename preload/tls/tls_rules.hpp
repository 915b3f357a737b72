#pragma once
// The compiled API rules the HTTPS guard decides with: the blob named by AGENTGUARD_API_RULES
// (written by `agentguard run`), mapped read-only on the first TLS write, validated once.
#include <cstddef>

namespace agentguard::preload {

struct ApiRules {
  bool inspect = false;          // AGENTGUARD_API_RULES was set at load time: inspect AWS requests
  const void* blob = nullptr;    // nullptr when `problem` is set
  std::size_t size = 0;
  const char* problem = nullptr; // why the rules are unusable: AWS requests are then refused
};

// Loads on first use (thread-safe); the result never changes afterwards.
const ApiRules& api_rules();

}  // namespace agentguard::preload
