#pragma once
// The policy's PlanInspector for real saved plans: runs `<terraform or tofu> show -json PLANFILE` in
// the directory the command acts on, with the same environment as every terraform run the gate
// makes (plan_review.hpp's terraform_env), and reads it with policy::parse_plan_json. Used by the
// gate's decision and by `agentguard policy explain`, so both read a saved plan the same way.
#include <chrono>

#include "agentguard/model.hpp"

namespace agentguard::gate {

class ShowJsonPlanInspector : public policy::PlanInspector {
 public:
  explicit ShowJsonPlanInspector(std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // nullopt when plan_file does not exist (relative to request.cwd) or is not a regular file.
  // Throws std::runtime_error when terraform fails, times out or prints something unreadable:
  // the caller must then refuse, since it cannot know what the plan does.
  std::optional<policy::PlanSummary> inspect(const std::string& program_path, const std::string& plan_file,
                                             const policy::ExecRequest& request) const override;

 private:
  std::chrono::milliseconds timeout_;
};

}  // namespace agentguard::gate
