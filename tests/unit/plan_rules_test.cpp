#include <gtest/gtest.h>

#include <sstream>

#include "agentguard/plan_rules.hpp"

namespace agentguard::policy {
namespace {

std::vector<PlanRule> parse(const std::string& text) {
  std::istringstream in(text);
  const toml::value root = toml::parse(in, "test.toml");
  return parse_plan_rules(root.at("plan"), "test.toml");
}

PlanSummary plan_of(std::initializer_list<std::pair<std::string, std::vector<std::string>>> changes) {
  PlanSummary s;
  for (const auto& [address, actions] : changes) s.changes.push_back({address, type_of_address(address), actions, ""});
  return s;
}

const char* kRules = R"(
[[plan]]
id = "stateful"
action = "deny"
types = ["aws_db_instance", "aws_s3_bucket", "*_snapshot"]
message = "Stateful."
examples.match = ["aws_db_instance.main", "module.data.aws_ebs_snapshot.nightly[0]"]
examples.no_match = ["terraform_data.a"]

[[plan]]
id = "any-delete"
action = "ask"
addresses = ["*"]

[[plan]]
id = "scratch"
action = "allow"
addresses = ["module.scratch.*"]
)";

TEST(PlanRules, KindsOfChange) {
  EXPECT_EQ(destructive_kind({"a.b", "a", {"delete"}, ""}), "delete");
  EXPECT_EQ(destructive_kind({"a.b", "a", {"delete", "create"}, ""}), "replace");
  EXPECT_EQ(destructive_kind({"a.b", "a", {"create", "delete"}, ""}), "replace");
  EXPECT_EQ(destructive_kind({"a.b", "a", {"forget"}, ""}), "forget");
  EXPECT_EQ(destructive_kind({"a.b", "a", {"create"}, ""}), "");
  EXPECT_EQ(destructive_kind({"a.b", "a", {"update"}, ""}), "");
  EXPECT_EQ(destructive_kind({"a.b", "a", {"no-op"}, ""}), "");
}

TEST(PlanRules, TypeOfAddress) {
  EXPECT_EQ(type_of_address("aws_db_instance.main"), "aws_db_instance");
  EXPECT_EQ(type_of_address("module.data.aws_db_instance.main"), "aws_db_instance");
  EXPECT_EQ(type_of_address("module.a.module.b.aws_s3_bucket.logs[\"x.y\"]"), "aws_s3_bucket");
  EXPECT_EQ(type_of_address("data.aws_iam_policy.p"), "aws_iam_policy");
}

TEST(PlanRules, CreatesAndUpdatesAreNotReviewed) {
  const auto v = decide_plan(parse(kRules), plan_of({{"terraform_data.a", {"create"}}, {"aws_db_instance.db", {"update"}}}));
  EXPECT_EQ(v.action, Action::allow);
  EXPECT_TRUE(v.resources.empty());
  EXPECT_EQ(v.deciding, nullptr);
}

TEST(PlanRules, AnyDeleteAsks) {
  const auto v = decide_plan(parse(kRules), plan_of({{"terraform_data.a", {"delete"}}, {"terraform_data.b", {"create"}}}));
  EXPECT_EQ(v.action, Action::ask);
  ASSERT_EQ(v.resources.size(), 1u);
  EXPECT_EQ(v.summary(), "delete terraform_data.a");
  EXPECT_EQ(v.deciding->rule_id, "any-delete");
}

TEST(PlanRules, StatefulDeleteDeniesTheWholeApply) {
  const auto v = decide_plan(parse(kRules), plan_of({{"terraform_data.a", {"delete"}},
                                                     {"module.data.aws_db_instance.main", {"delete", "create"}}}));
  EXPECT_EQ(v.action, Action::deny);
  EXPECT_EQ(v.deciding->rule_id, "stateful");
  EXPECT_EQ(v.summary(), "delete terraform_data.a, replace module.data.aws_db_instance.main");
}

TEST(PlanRules, AllowSilencesAskButNeverDeny) {
  const auto rules = parse(kRules);
  EXPECT_EQ(decide_plan(rules, plan_of({{"module.scratch.terraform_data.x", {"delete"}}})).action, Action::allow);
  EXPECT_EQ(decide_plan(rules, plan_of({{"module.scratch.aws_s3_bucket.x", {"delete"}}})).action, Action::deny);
}

TEST(PlanRules, ForgetIsDestructive) {
  const auto v = decide_plan(parse(kRules), plan_of({{"terraform_data.a", {"forget"}}}));
  EXPECT_EQ(v.action, Action::ask);
  EXPECT_EQ(v.summary(), "forget terraform_data.a");
}

TEST(PlanRules, ExamplesPassAndAFailingOneIsReported) {
  EXPECT_TRUE(check_plan_examples(parse(kRules)).empty());
  const auto failures = check_plan_examples(parse(R"(
[[plan]]
id = "db"
action = "deny"
types = ["aws_db_instance"]
examples.match = ["aws_s3_bucket.logs"]
)"));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("test.toml:2:"), std::string::npos) << failures[0];
  EXPECT_NE(failures[0].find("aws_s3_bucket.logs"), std::string::npos);
}

TEST(PlanRules, MistakesAreReportedWithTheirPlace) {
  const auto error_of = [](const std::string& text) -> std::string {
    try {
      parse(text);
    } catch (const PolicyError& e) {
      return e.where().to_string() + " " + e.what();
    }
    return "no error";
  };
  EXPECT_NE(error_of("[[plan]]\nid = \"x\"\naction = \"deny\"\ntypo = 1\ntypes = [\"a\"]\n").find("test.toml:4:"),
            std::string::npos);
  EXPECT_NE(error_of("[[plan]]\nid = \"x\"\naction = \"nuke\"\ntypes = [\"a\"]\n").find("unknown action"), std::string::npos);
  EXPECT_NE(error_of("[[plan]]\nid = \"x\"\naction = \"deny\"\ntypes = [\"aws_[db\"]\n").find("bad pattern"), std::string::npos);
  EXPECT_NE(error_of("[[plan]]\nid = \"x\"\naction = \"deny\"\n").find("must name"), std::string::npos);
  EXPECT_NE(error_of("[[plan]]\nid = \"x\"\naction = \"deny\"\ntypes = \"a\"\n").find("array of strings"), std::string::npos);
}

}  // namespace
}  // namespace agentguard::policy
