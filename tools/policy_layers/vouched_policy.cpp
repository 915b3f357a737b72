#include "policy_layers/vouched_policy.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "policy_layers/policy_cache.hpp"
#include "service_client/service_client.hpp"

namespace agentguard::vouched_policy {

bool kept_by_service() { return service::mode().kind != service::Mode::same_user; }

std::optional<Cache> cache() {
  const service::Mode& mode = service::mode();
  if (mode.kind != service::Mode::separated) return std::nullopt;
  const std::string state = mode.hello.value("state_dir", std::string());
  const long owner = mode.hello.value("service_uid", -1L);
  if (state.empty() || owner < 0) return std::nullopt;  // an older service: nothing is vouched for
  return Cache{policy_cache::vouched_directory(state, ::getuid()), static_cast<uid_t>(owner)};
}

void request(const std::vector<policy::LayerText>& layers, bool builtin_default) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& l : layers) list.push_back({{"file", l.file}, {"text", l.text}, {"project", l.project}});
  service::call({{"op", "policy.compile"}, {"layers", list}, {"builtin_default", builtin_default}});
}

}  // namespace agentguard::vouched_policy
