#pragma once
// API rules: `[[api]]` tables in a policy file, in IAM action syntax, decided inside the guarded
// process for each AWS request the HTTPS guard sees. The loader hands each layer's raw `api`
// array to parse_api_rules(); compile_api_rules() turns the specs of all layers (lowest first,
// disabled ids already removed) into the blob the preload maps and core::http::decide_api() reads.
//
//   [[api]]
//   id = "rds-delete"
//   action = "deny"                               # deny | allow | ask | log
//   match = ["rds:DeleteDBInstance", "rds:DeleteDBCluster"]   # or one string; `*`/`?` globs
//   except = ["sqs:DeleteMessage"]                # operations taken out of `match`
//   when = { SkipFinalSnapshot = "true" }         # all facts must hold; a list means any of
//   unless = { Bucket = ["scratch-*", "tmp-*"] }  # an exception: the rule does not apply
//   message = "DeleteDBInstance deletes the database."
//   examples = ["rds:DeleteDBInstance SkipFinalSnapshot=true"]  # must match this rule
//   not_examples = ["POST / HTTP/1.1\nHost: rds.us-east-1.amazonaws.com\n..."]
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <toml.hpp>

#include "agentguard/policy.hpp"

namespace agentguard::policy {

struct ApiCondition {
  std::string fact;                // canonical fact name (core::http::fact_name)
  std::vector<std::string> globs;  // any may match
  Location where;
};

struct ApiRuleSpec {
  std::string id;
  Action action = Action::deny;
  std::vector<std::string> match;  // "service:Operation" patterns
  std::vector<std::string> except; // patterns taken out of `match` (never an uncertain operation)
  std::string message;
  std::vector<ApiCondition> when;
  std::vector<ApiCondition> unless;
  std::vector<std::string> examples;
  std::vector<std::string> not_examples;
  Location source;                 // where the [[api]] table starts
};

// Parses one layer's `api` value (an array of tables). Throws PolicyError (file:line:col) on an
// unknown key, a wrong type, a malformed pattern, an unknown fact or a duplicate id.
std::vector<ApiRuleSpec> parse_api_rules(const toml::value& api_array, const std::string& file);

// Only each rule's `id` and `source` (LoadOptions::api_rules = false: the gate, which decides
// launches, not API calls). Checks what `disable` and the id namespace rely on: an array of tables,
// each with a valid id, no id twice. Everything else in the tables is left unread.
std::vector<ApiRuleSpec> parse_api_rule_ids(const toml::value& api_array, const std::string& file);

// The position-independent blob (core/http/api_blob.hpp). Rules keep their order.
std::string compile_api_rules(const std::vector<ApiRuleSpec>& specs);

// Runs every rule's examples and not_examples against that rule alone. One line per failure:
// "file:line:col: rule ID: example ...".
std::vector<std::string> check_api_examples(const std::vector<ApiRuleSpec>& specs);

// `agentguard policy explain --http FILE`: classifies a saved raw request (LF line ends are
// accepted) and shows the decision of the compiled rules and the reply the client would get.
std::string explain_http_request(std::string_view raw_request, const std::string& blob);

}  // namespace agentguard::policy
