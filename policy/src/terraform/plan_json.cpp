// Reads what `terraform show -json PLAN` says the plan does.
#include "agentguard/terraform_plan.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace agentguard::policy {

PlanSummary parse_plan_json(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw std::runtime_error("terraform show -json printed no JSON object");
  PlanSummary summary;
  auto changes = doc.find("resource_changes");
  if (changes == doc.end() || changes->is_null()) return summary;
  if (!changes->is_array()) throw std::runtime_error("resource_changes is not an array");
  for (const auto& item : *changes) {
    ResourceChange change;
    change.address = item.value("address", "");
    change.type = item.value("type", "");
    auto c = item.find("change");
    if (c == item.end() || !c->is_object()) throw std::runtime_error("resource change without `change`: " + change.address);
    auto actions = c->find("actions");
    if (actions == c->end() || !actions->is_array())
      throw std::runtime_error("resource change without `change.actions`: " + change.address);
    for (const auto& action : *actions) {
      if (!action.is_string()) throw std::runtime_error("non-string action in " + change.address);
      change.actions.push_back(action.get<std::string>());
    }
    if (auto reason = item.find("action_reason"); reason != item.end() && reason->is_string())
      change.reason = reason->get<std::string>();
    summary.changes.push_back(std::move(change));
  }
  return summary;
}

}  // namespace agentguard::policy
