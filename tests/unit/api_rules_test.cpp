// API rules: parsing with file:line:col errors, IAM-style matching, precedence, conditions and
// exceptions, the fail-closed cases, the compiled blob, examples and the default rules.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "agentguard/api_request.hpp"
#include "agentguard/api_rules.hpp"
#include "core/http/api_blob.hpp"
#include "core/http/api_decide.hpp"
#include "http_captured.hpp"

namespace {

namespace http = agentguard::core::http;
using namespace agentguard::policy;

std::vector<ApiRuleSpec> parse(const std::string& text, const std::string& file = "test.toml") {
  std::istringstream in(text);
  toml::value doc = toml::parse(in, file);
  return parse_api_rules(toml::find(doc, "api"), file);
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const PolicyError& e) {
    return e.what();
  }
  return "(no error)";
}

struct Decided {
  http::ApiAction action;
  std::string rule;
};

Decided decide(const std::string& blob, const http::Classification& c) {
  auto d = http::decide_api(blob.data(), blob.size(), c);
  return {d.action, std::string(d.rule_id.data ? d.rule_id.data : "", d.rule_id.size)};
}

TEST(ApiRules, ParseErrorsCarryFileLineAndColumn) {
  EXPECT_EQ(error_of("[[api]]\nid = \"x\"\naction = \"deny\"\nmatch = \"rds:Delete*\"\nbogus = 1\n"),
            "test.toml:5:9: unknown key `bogus` in [[api]] (known: id, action, match, except, when, unless, message, examples, not_examples)");
  EXPECT_EQ(error_of("[[api]]\nid = \"x\"\naction = \"block\"\nmatch = \"rds:Delete*\"\n"),
            "test.toml:3:10: unknown action \"block\" (expected deny, allow, ask or log)");
  EXPECT_NE(error_of("[[api]]\nid = \"x\"\naction = \"deny\"\nmatch = \"DeleteDBInstance\"\n").find("test.toml:4:9: rule x: `DeleteDBInstance` is not an IAM action pattern"),
            std::string::npos);
  EXPECT_NE(error_of("[[api]]\nid = \"x\"\naction = \"deny\"\nmatch = \"rds:Delete*\"\nwhen = { Protection = \"false\" }\n")
                .find("test.toml:5:23: unknown fact `Protection`"),
            std::string::npos);
  EXPECT_NE(error_of("[[api]]\nid = \"x\"\naction = \"deny\"\nmatch = \"a:b\"\n[[api]]\nid = \"x\"\naction = \"deny\"\nmatch = \"a:b\"\n")
                .find("test.toml:6:6: duplicate rule id `x`"),
            std::string::npos);
  EXPECT_NE(error_of("[[api]]\naction = \"deny\"\nmatch = \"a:b\"\n").find("without `id`"), std::string::npos);
  EXPECT_NE(error_of("api = 3\n").find("test.toml:1:7: `api` must be an array of tables"), std::string::npos);
}

TEST(ApiRules, IamWildcardsAreCaseInsensitive) {
  auto blob = compile_api_rules(parse(R"(
[[api]]
id = "any-delete"
action = "deny"
match = ["*:Delete*", "EC2:terminate?nstances"]
)"));
  EXPECT_EQ(decide(blob, classification_from_call("rds:DeleteDBInstance")).action, http::ApiAction::deny);
  EXPECT_EQ(decide(blob, classification_from_call("s3:deletebucket")).action, http::ApiAction::deny);
  EXPECT_EQ(decide(blob, classification_from_call("ec2:TerminateInstances")).action, http::ApiAction::deny);
  EXPECT_EQ(decide(blob, classification_from_call("rds:DescribeDBInstances")).action, http::ApiAction::none);
  EXPECT_EQ(decide(blob, classification_from_call("ec2:StopInstances")).action, http::ApiAction::none);
}

TEST(ApiRules, PrecedenceIsDenyAllowAskLog) {
  auto blob = compile_api_rules(parse(R"(
[[api]]
id = "log-all"
action = "log"
match = "*:*"
[[api]]
id = "ask-s3"
action = "ask"
match = "s3:Delete*"
[[api]]
id = "scratch"
action = "allow"
match = "s3:*"
when = { Bucket = ["scratch-*", "tmp-*"] }
[[api]]
id = "never-prod"
action = "deny"
match = "s3:DeleteBucket"
when = { Bucket = "prod-*" }
)"));
  EXPECT_EQ(decide(blob, classification_from_call("ec2:DescribeInstances")).rule, "log-all");
  EXPECT_EQ(decide(blob, classification_from_call("s3:DeleteObject Bucket=data")).rule, "ask-s3");
  EXPECT_EQ(decide(blob, classification_from_call("s3:DeleteObject Bucket=scratch-1")).action, http::ApiAction::allow);
  EXPECT_EQ(decide(blob, classification_from_call("s3:DeleteBucket Bucket=TMP-x")).action, http::ApiAction::allow);
  EXPECT_EQ(decide(blob, classification_from_call("s3:DeleteBucket Bucket=prod-1")).rule, "never-prod");
}

TEST(ApiRules, WhenAndUnlessConditions) {
  auto blob = compile_api_rules(parse(R"(
[[api]]
id = "ec2-terminate"
action = "deny"
match = "ec2:TerminateInstances"
unless = { DryRun = true }
[[api]]
id = "rds-protection-off"
action = "deny"
match = "rds:Modify*"
when = { DeletionProtection = false }
)"));
  EXPECT_EQ(decide(blob, classification_from_call("ec2:TerminateInstances")).action, http::ApiAction::deny);
  EXPECT_EQ(decide(blob, classification_from_call("ec2:TerminateInstances DryRun=true")).action, http::ApiAction::none);
  EXPECT_EQ(decide(blob, classification_from_call("ec2:TerminateInstances DryRun=false")).action, http::ApiAction::deny);
  EXPECT_EQ(decide(blob, classification_from_call("rds:ModifyDBInstance DeletionProtection=false")).action, http::ApiAction::deny);
  EXPECT_EQ(decide(blob, classification_from_call("rds:ModifyDBInstance DeletionProtection=true")).action, http::ApiAction::none);
  EXPECT_EQ(decide(blob, classification_from_call("rds:ModifyDBInstance")).action, http::ApiAction::none);
}

TEST(ApiRules, UncertainAndAmbiguousRequestsFailClosedForDenyOnly) {
  auto blob = compile_api_rules(parse(R"(
[[api]]
id = "rds-delete"
action = "deny"
match = "rds:DeleteDBInstance"
[[api]]
id = "rds-reads"
action = "allow"
match = "rds:Describe*"
[[api]]
id = "protection"
action = "deny"
match = "dynamodb:UpdateTable"
when = { DeletionProtectionEnabled = "false" }
[[api]]
id = "terminate"
action = "deny"
match = "ec2:TerminateInstances"
unless = { DryRun = "true" }
)"));
  auto uncertain = classification_from_call("rds:DescribeDBInstances");
  uncertain.uncertain = true;  // e.g. Action in the query string and another in the body
  EXPECT_EQ(decide(blob, uncertain).rule, "rds-delete");

  auto ambiguous = classification_from_call("dynamodb:UpdateTable DeletionProtectionEnabled=true");
  ambiguous.facts[static_cast<std::size_t>(http::Fact::DeletionProtectionEnabled)].ambiguous = true;
  EXPECT_EQ(decide(blob, ambiguous).action, http::ApiAction::deny);

  auto cut = classification_from_call("dynamodb:UpdateTable");
  cut.facts_complete = false;  // the fact may be in the part of the body we did not see
  EXPECT_EQ(decide(blob, cut).action, http::ApiAction::deny);

  auto dry_ambiguous = classification_from_call("ec2:TerminateInstances DryRun=true");
  dry_ambiguous.facts[static_cast<std::size_t>(http::Fact::DryRun)].ambiguous = true;
  EXPECT_EQ(decide(blob, dry_ambiguous).action, http::ApiAction::deny);  // an exception needs certainty
}

TEST(ApiRules, TheBlobIsPositionIndependentAndValidated) {
  auto blob = compile_api_rules(parse("[[api]]\nid = \"d\"\naction = \"deny\"\nmatch = \"rds:Delete*\"\nmessage = \"no\"\n"));
  auto call = classification_from_call("rds:DeleteDBCluster");
  std::string moved = "x" + blob;  // odd alignment, other address
  auto d = http::decide_api(moved.data() + 1, blob.size(), call);
  EXPECT_EQ(d.action, http::ApiAction::deny);
  EXPECT_EQ(std::string(d.message.data, d.message.size), "no");

  for (std::size_t cut = 0; cut < blob.size(); ++cut) {
    auto truncated = http::decide_api(blob.data(), cut, call);
    EXPECT_TRUE(truncated.invalid_rules) << cut;
    EXPECT_EQ(truncated.action, http::ApiAction::deny);
  }
  std::string corrupt = blob;
  corrupt[sizeof(http::blob::Header) + 8] = static_cast<char>(0x7f);  // a string offset far outside
  EXPECT_FALSE(http::api_rules_valid(corrupt.data(), corrupt.size()));
  http::Classification not_aws;
  EXPECT_EQ(http::decide_api(corrupt.data(), corrupt.size(), not_aws).action, http::ApiAction::none);
}

TEST(ApiRules, ExamplesAreChecked) {
  auto rules = parse(R"(
[[api]]
id = "rds-delete"
action = "deny"
match = "rds:DeleteDBInstance"
when = { SkipFinalSnapshot = "true" }
examples = ["rds:DeleteDBInstance SkipFinalSnapshot=true", "rds:DeleteDBInstance"]
not_examples = ["rds:DeleteDBInstance SkipFinalSnapshot=false", "s3:DeleteBucket", "not a call"]
)");
  auto failures = check_api_examples(rules);
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0], "test.toml:2:1: rule rds-delete: example `rds:DeleteDBInstance` does not match (classified as rds:DeleteDBInstance)");
  EXPECT_NE(failures[1].find("not_example `not a call` is invalid"), std::string::npos) << failures[1];
}

std::vector<ApiRuleSpec> default_rules() {
  std::ifstream in(std::string(AGENTGUARD_SOURCE_DIR) + "/policy/default-api-rules.toml");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), "default-api-rules.toml");
}

TEST(ApiRules, DefaultRulesParseAndTheirExamplesPass) {
  auto rules = default_rules();
  EXPECT_GT(rules.size(), 20u);
  auto failures = check_api_examples(rules);
  for (const auto& f : failures) ADD_FAILURE() << f;
}

TEST(ApiRules, DefaultRulesOnCapturedBotocoreRequests) {
  auto blob = compile_api_rules(default_rules());
  std::map<std::string, std::string> denied_by = {
      {"rds_delete_db_instance", "destroy-by-name"},   {"rds_modify_protection_off", "protection-off"},
      {"ec2_terminate", "destroy-by-name"},            {"ec2_disable_api_termination", "ec2-protection-off"},
      {"dynamodb_delete_table", "destroy-by-name"},    {"dynamodb_protection_off", "dynamodb-protection-off"},
      {"lambda_delete_function", "destroy-by-name"},   {"s3_delete_objects", "destroy-by-name"},
      {"s3_delete_object_version", "destroy-by-name"}, {"s3_delete_bucket", "destroy-by-name"},
      {"s3_suspend_versioning", "s3-protection-off"},  {"secretsmanager_force_delete", "destroy-by-name"},
      {"eks_protection_off", "protection-off"},        {"elbv2_protection_off", "elb-protection-off"},
      {"cloudformation_delete_stack", "destroy-by-name"}, {"sqs_purge", "destroy-by-name"},
      {"route53_delete_record", "route53-delete-records"}, {"backup_delete_recovery_point", "destroy-by-name"},
      {"curl_rds_delete", "destroy-by-name"}, {"awscli_dynamodb_delete_table", "destroy-by-name"},
      {"awscli_lambda_delete_function", "destroy-by-name"}, {"curl_s3_delete_object", "destroy-by-name"},
      {"cloudwatch_delete_alarms", "destroy-by-name"},
  };

  for (const auto& capture : captured::all()) {
    std::string whole;
    for (auto w : capture.writes) whole.append(w);
    RawHttpRequest raw(whole);
    auto d = decide(blob, raw.classification());
    auto it = denied_by.find(capture.name);
    if (it != denied_by.end()) {
      EXPECT_EQ(d.action, http::ApiAction::deny) << capture.name;
      EXPECT_EQ(d.rule, it->second) << capture.name;
    } else {
      EXPECT_EQ(d.action, http::ApiAction::none) << capture.name << " hit " << d.rule;
    }
  }
}

TEST(ApiRules, ExplainShowsTheCallTheDecisionAndTheReply) {
  auto blob = compile_api_rules(default_rules());
  std::string text = explain_http_request(
      "POST / HTTP/1.1\nHost: rds.us-east-1.amazonaws.com\nContent-Type: application/x-www-form-urlencoded\n"
      "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=0\n\n"
      "Action=DeleteDBInstance&DBInstanceIdentifier=prod&SkipFinalSnapshot=true",
      blob);
  EXPECT_NE(text.find("call:      rds:DeleteDBInstance SkipFinalSnapshot=true"), std::string::npos) << text;
  EXPECT_NE(text.find("decision:  deny (rule destroy-by-name)"), std::string::npos) << text;
  EXPECT_NE(text.find("HTTP/1.1 403 Forbidden"), std::string::npos) << text;
}

}  // namespace
