// The built-in default policy: it loads, every rule carries examples, and every example holds.
#include <gtest/gtest.h>

#include <set>

#include "agentguard/api_rules.hpp"
#include "agentguard/plan_rules.hpp"
#include "agentguard/policy.hpp"
#include "policy_test_support.hpp"

namespace agentguard::policy {
namespace {

TEST(PolicyDefault, LoadsAndEveryExampleHolds) {
  Policy policy = Policy::load(LoadOptions{});
  EXPECT_GE(policy.rule_count(), 15u);
  EXPECT_GE(policy.example_count(), 140u);
  auto failures = policy.check_examples();
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_TRUE(failures.empty());
}

TEST(PolicyDefault, EveryRuleHasMatchAndNoMatchExamples) {
  // Every [[exec]] in the default must show what it catches and what it leaves alone.
  std::string text(default_policy_text());
  std::size_t rules = 0, pos = 0;
  while ((pos = text.find("[[exec]]", pos)) != std::string::npos) {
    std::size_t next = text.find("[[exec]]", pos + 1);
    std::string block = text.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    EXPECT_NE(block.find("examples.match"), std::string::npos) << block.substr(0, 80);
    EXPECT_NE(block.find("examples.no_match"), std::string::npos) << block.substr(0, 80);
    ++rules;
    pos += 1;
  }
  const Policy policy = Policy::load(LoadOptions{});
  EXPECT_EQ(rules + policy.api_rules().size() + policy.plan_rules().size(), policy.rule_count());
}

TEST(PolicyDefault, ExamplesCanFail) {
  // A rule whose example contradicts it is reported with the example's file:line:col.
  Policy policy = Policy::from_text(R"(schema = 1
[[exec]]
id = "t"
action = "deny"
program = ["terraform"]
command = ["destroy"]
examples.match = ["terraform plan"]
examples.no_match = ["terraform destroy"]
)",
                                    "p.toml");
  auto failures = policy.check_examples();
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].rfind("p.toml:7:19: rule t: example `terraform plan` should match but does not", 0), 0u)
      << failures[0];
  EXPECT_EQ(failures[1].rfind("p.toml:8:22: rule t: example `terraform destroy` should not match but does", 0), 0u)
      << failures[1];
}

TEST(PolicyDefault, DecisionCarriesRuleMessageSourceAndArgv) {
  Policy policy = Policy::load(LoadOptions{});
  auto d = policy.decide_exec(test::request("/nonexistent/bin/terraform", {"terraform", "destroy", "-auto-approve"}));
  EXPECT_EQ(d.action, Action::deny);
  EXPECT_EQ(d.rule_id, "terraform-destroy");
  EXPECT_EQ(d.program, "terraform");
  EXPECT_EQ(d.source.file, "<built-in default>");
  EXPECT_GT(d.source.line, 0);
  EXPECT_NE(d.message.find("terraform plan -destroy -out=tfplan"), std::string::npos);
  EXPECT_EQ(d.effective_argv, (std::vector<std::string>{"terraform", "destroy", "-auto-approve"}));
  // The gate's call builds no trace; `policy explain` asks for one and gets the same decision.
  EXPECT_TRUE(d.trace.empty());
  auto traced = policy.decide_exec(test::request("/nonexistent/bin/terraform", {"terraform", "destroy", "-auto-approve"}),
                                   nullptr, Trace::on);
  EXPECT_EQ(traced.rule_id, d.rule_id);
  EXPECT_EQ(traced.effective_argv, d.effective_argv);
  ASSERT_FALSE(traced.trace.empty());
  EXPECT_EQ(traced.trace.back(), "decision: deny by rule terraform-destroy (" + d.source.to_string() + ")");
}

TEST(PolicyDefault, HarmlessWorkStaysAllowed) {
  Policy policy = Policy::load(LoadOptions{});
  const std::vector<std::vector<std::string>> harmless = {
      {"terraform", "plan"},          {"terraform", "plan", "-destroy"}, {"terraform", "init"},
      {"terraform", "apply"},         {"terraform", "state", "list"},    {"terraform", "version"},
      {"terraform", "fmt"},           {"terraform", "validate"},         {"terraform", "output"},
  };
  for (const auto& argv : harmless) {
    auto d = policy.decide_exec(test::request("/nonexistent/terraform", argv));
    EXPECT_EQ(d.action, Action::allow) << argv[1] << ": " << d.rule_id;
  }
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"aws", "ec2", "describe-instances"}, {"aws", "s3api", "list-buckets"}, {"aws", "ssm", "get-parameter", "--name", "x"},
           {"aws", "ec2", "terminate-instances", "--instance-ids", "i-1", "--dry-run"}}) {
    auto d = policy.decide_exec(test::request("/nonexistent/aws", argv));
    EXPECT_EQ(d.action, Action::allow) << argv[2] << ": " << d.rule_id;
  }
}

}  // namespace
}  // namespace agentguard::policy
