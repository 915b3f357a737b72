#include "agentguard/launch_settings.hpp"

#include "agentguard/policy_sections.hpp"

namespace agentguard::policy {

LaunchSettings launch_settings(const Policy& policy) {
  LaunchSettings out;
  for (const auto& section : policy.sections("launch")) {
    const auto& t = section.value;
    if (!t.is_table()) continue;
    if (t.contains("strict") && t.at("strict").is_boolean()) out.strict = t.at("strict").as_boolean();
    if (t.contains("unknown_setuid") && t.at("unknown_setuid").is_string()) {
      const std::string v = t.at("unknown_setuid").as_string().str;
      out.unknown_setuid = v == "allow" ? Action::allow : v == "deny" ? Action::deny : Action::log;
    }
  }
  return out;
}

}  // namespace agentguard::policy
