#pragma once
// The real PlanInspector: runs `<terraform or tofu> show -json PLANFILE` in the directory the
// command acts on, with the launch's environment, and reads resource_changes[].change.actions.
#include <chrono>
#include <string_view>

#include "agentguard/policy.hpp"

namespace agentguard::policy {

class TerraformPlanInspector : public PlanInspector {
 public:
  explicit TerraformPlanInspector(std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // nullopt when plan_file does not exist (relative to request.cwd) or is not a regular file.
  // Throws std::runtime_error when terraform fails, times out or prints something unreadable:
  // the caller must then refuse, since it cannot know what the plan does.
  std::optional<PlanSummary> inspect(const std::string& program_path, const std::string& plan_file,
                                     const ExecRequest& request) const override;

  // Parses `terraform show -json` output; throws std::runtime_error on malformed JSON.
  static PlanSummary parse_show_json(std::string_view json);

 private:
  std::chrono::milliseconds timeout_;
};

}  // namespace agentguard::policy
