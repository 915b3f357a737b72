#pragma once
// Plan rules: what may be deleted, replaced or forgotten by a terraform/tofu apply. The gate reads
// the plan (saved, or made privately for a plain apply) and decides each destructive resource change
// against these rules; the worst verdict decides the apply.
//
//   [[plan]]
//   id = "plan-delete-stateful"
//   action = "deny"                       # deny | ask | allow | log
//   types = ["aws_db_instance", "aws_s3_bucket", "*_snapshot"]   # resource type globs (any)
//   addresses = ["module.data.*"]         # resource address globs (any)
//   changes = ["delete", "replace", "forget"]   # which kinds of change (default: all three)
//   message = "..."
//   examples.match = ["aws_db_instance.main"]   # addresses that must match
//   examples.no_match = ["terraform_data.x"]
//
// Precedence for one resource: deny > allow > ask > log (an allow silences an ask, never a deny).
// A resource no rule matches is allowed.
#include <string>
#include <vector>

#include <toml.hpp>

#include "agentguard/policy.hpp"

namespace agentguard::policy {

struct PlanRule {
  std::string id;
  Action action = Action::ask;
  std::vector<std::string> types;
  std::vector<std::string> addresses;
  std::vector<std::string> changes;  // "delete", "replace", "forget"
  std::string message;
  Location where;
  std::vector<std::string> examples_match, examples_no_match;
};

// "delete", "replace" or "forget" for a destructive change; empty for create/update/no-op/read.
std::string destructive_kind(const ResourceChange& change);

// The resource type of an address: "module.data.aws_db_instance.main[0]" -> "aws_db_instance".
std::string type_of_address(const std::string& address);

struct ResourceVerdict {
  ResourceChange change;
  std::string kind;        // delete | replace | forget
  Action action = Action::allow;
  std::string rule_id;     // empty: no rule matched
  std::string message;
  Location source;
};

struct PlanVerdict {
  Action action = Action::allow;          // the worst over all destructive changes
  std::vector<ResourceVerdict> resources; // only the destructive changes
  const ResourceVerdict* deciding = nullptr;  // points into resources; null when nothing is destructive
  std::string summary() const;            // "delete terraform_data.a, replace aws_db_instance.main"
};

// Parses one layer's `[[plan]]` array. Throws PolicyError with file:line:col on any mistake.
std::vector<PlanRule> parse_plan_rules(const toml::value& plan_array, const std::string& file);

PlanVerdict decide_plan(const std::vector<PlanRule>& rules, const PlanSummary& plan);

// One line per failing example: "file:line:col: plan rule ID: example 'X' should match/not match".
std::vector<std::string> check_plan_examples(const std::vector<PlanRule>& rules);

}  // namespace agentguard::policy
