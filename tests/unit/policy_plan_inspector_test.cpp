// The gate's ShowJsonPlanInspector with the real terraform on this machine: terraform_data resources work offline.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "agentguard/policy.hpp"
#include "agentguard/terraform_plan.hpp"
#include "gate/plan_inspector.hpp"
#include "policy_test_support.hpp"

namespace agentguard::policy {
namespace {

constexpr const char* kTerraform = "/usr/local/bin/terraform";

int run_in(const std::filesystem::path& dir, const std::string& command) {
  std::string line = "cd '" + dir.string() + "' && HOME='" + dir.string() + "' " + command + " >/dev/null 2>&1";
  return std::system(line.c_str());
}

class PlanInspectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kTerraform)) return;
    workspace_ = new test::TempDir();
    auto dir = workspace_->path / "stack";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "main.tf") << "resource \"terraform_data\" \"a\" { input = \"a\" }\n"
                                      "resource \"terraform_data\" \"b\" { input = \"b\" }\n";
    ASSERT_EQ(run_in(dir, std::string(kTerraform) + " init -input=false"), 0);
    ASSERT_EQ(run_in(dir, std::string(kTerraform) + " apply -auto-approve -input=false"), 0);
    ASSERT_EQ(run_in(dir, std::string(kTerraform) + " plan -destroy -input=false -out=destroy.tfplan"), 0);
    ASSERT_EQ(run_in(dir, std::string(kTerraform) + " plan -input=false -out=nochange.tfplan"), 0);
    std::ofstream(dir / "extra.tf") << "resource \"terraform_data\" \"c\" { input = \"c\" }\n";
    ASSERT_EQ(run_in(dir, std::string(kTerraform) + " plan -input=false -out=create.tfplan"), 0);
    std::filesystem::remove(dir / "extra.tf");
    // b leaves the config: a normal plan that only deletes (what `plan -destroy` would not say why).
    std::ofstream(dir / "main.tf") << "resource \"terraform_data\" \"a\" { input = \"a\" }\n";
    ASSERT_EQ(run_in(dir, std::string(kTerraform) + " plan -input=false -out=removed.tfplan"), 0);
    std::ofstream(dir / "main.tf") << "resource \"terraform_data\" \"a\" { input = \"a\" }\n"
                                      "resource \"terraform_data\" \"b\" { input = \"b\" }\n";
    std::ofstream(dir / "garbage.tfplan") << "not a plan";
  }
  static void TearDownTestSuite() {
    delete workspace_;
    workspace_ = nullptr;
  }
  void SetUp() override {
    if (!workspace_) GTEST_SKIP() << "no terraform at " << kTerraform;
  }
  static std::filesystem::path stack() { return workspace_->path / "stack"; }
  static ExecRequest request_in(const std::filesystem::path& cwd, std::vector<std::string> argv) {
    return test::request(kTerraform, std::move(argv), {"HOME=" + workspace_->path.string(), "PATH=/usr/bin:/bin"},
                         cwd.string());
  }
  static test::TempDir* workspace_;
};
test::TempDir* PlanInspectorTest::workspace_ = nullptr;

TEST_F(PlanInspectorTest, ReadsDeletesFromADestroyPlan) {
  gate::ShowJsonPlanInspector inspector;
  auto summary = inspector.inspect(kTerraform, "destroy.tfplan", request_in(stack(), {"terraform", "apply", "destroy.tfplan"}));
  ASSERT_TRUE(summary);
  ASSERT_EQ(summary->changes.size(), 2u);
  EXPECT_EQ(summary->changes[0].address, "terraform_data.a");
  EXPECT_EQ(summary->changes[0].type, "terraform_data");
  EXPECT_EQ(summary->changes[0].actions, (std::vector<std::string>{"delete"}));
  EXPECT_TRUE(summary->deletes_or_forgets());
}

TEST_F(PlanInspectorTest, CreatingAndEmptyPlansDeleteNothing) {
  gate::ShowJsonPlanInspector inspector;
  auto created = inspector.inspect(kTerraform, "create.tfplan", request_in(stack(), {}));
  ASSERT_TRUE(created);
  EXPECT_FALSE(created->deletes_or_forgets());
  bool has_create = false;
  for (const auto& c : created->changes) has_create = has_create || c.actions == std::vector<std::string>{"create"};
  EXPECT_TRUE(has_create);
  auto unchanged = inspector.inspect(kTerraform, "nochange.tfplan", request_in(stack(), {}));
  ASSERT_TRUE(unchanged);
  EXPECT_FALSE(unchanged->deletes_or_forgets());
}

TEST_F(PlanInspectorTest, MissingFileIsNotAPlanAndGarbageRefuses) {
  gate::ShowJsonPlanInspector inspector;
  EXPECT_FALSE(inspector.inspect(kTerraform, "nope.tfplan", request_in(stack(), {})));
  EXPECT_THROW(inspector.inspect(kTerraform, "garbage.tfplan", request_in(stack(), {})), std::runtime_error);
}

TEST_F(PlanInspectorTest, DefaultPolicyDeniesApplyOfADestroyPlan) {
  Policy policy = Policy::load(LoadOptions{});
  gate::ShowJsonPlanInspector inspector;
  auto d = policy.decide_exec(request_in(stack(), {"terraform", "apply", "destroy.tfplan"}), &inspector);
  EXPECT_EQ(d.action, Action::deny);
  EXPECT_EQ(d.rule_id, "terraform-apply-destroy-plan");
  EXPECT_EQ(policy.decide_exec(request_in(stack(), {"terraform", "apply", "create.tfplan"}), &inspector).action, Action::allow);
  EXPECT_EQ(policy.decide_exec(request_in(stack(), {"terraform", "apply", "-auto-approve"}), &inspector).action, Action::allow);
  // -chdir: the plan file is relative to the directory terraform changes into.
  auto chdir = policy.decide_exec(
      request_in(workspace_->path, {"terraform", "-chdir=stack", "apply", "-auto-approve", "destroy.tfplan"}), &inspector);
  EXPECT_EQ(chdir.rule_id, "terraform-apply-destroy-plan");
  // A file terraform cannot read as a plan is refused: the guard cannot know what it does.
  auto garbage = policy.decide_exec(request_in(stack(), {"terraform", "apply", "garbage.tfplan"}), &inspector);
  EXPECT_EQ(garbage.action, Action::deny);
  EXPECT_NE(garbage.message.find("could not check the saved plan"), std::string::npos);
}

// The same deletion, spelled as a saved normal plan, is not a destroy plan: the plan review decides
// it as it decides a plain apply. Only `plan -destroy` is denied outright.
TEST_F(PlanInspectorTest, SavedNormalPlanThatDeletesIsNotADestroyPlan) {
  gate::ShowJsonPlanInspector inspector;
  auto removed = inspector.inspect(kTerraform, "removed.tfplan", request_in(stack(), {}));
  ASSERT_TRUE(removed);
  ASSERT_TRUE(removed->deletes_or_forgets());
  for (const auto& c : removed->changes)
    if (c.address == "terraform_data.b") {
      EXPECT_EQ(c.reason, "delete_because_no_resource_config");
    }
  auto destroy = inspector.inspect(kTerraform, "destroy.tfplan", request_in(stack(), {}));
  ASSERT_TRUE(destroy);
  for (const auto& c : destroy->changes) EXPECT_EQ(c.reason, "") << c.address;

  Policy policy = Policy::load(LoadOptions{});
  auto d = policy.decide_exec(request_in(stack(), {"terraform", "apply", "removed.tfplan"}), &inspector);
  EXPECT_EQ(d.action, Action::allow) << d.rule_id;  // allowed to the gate's plan review, which holds it
  EXPECT_EQ(policy.decide_exec(request_in(stack(), {"terraform", "apply", "destroy.tfplan"}), &inspector).rule_id,
            "terraform-apply-destroy-plan");
}

TEST(PlanInspectorTimeout, AHangingProgramIsKilledAndRefused) {
  test::TempDir dir;
  auto fake = dir.path / "terraform";
  std::ofstream(fake) << "#!/bin/sh\nsleep 30\n";
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  std::ofstream(dir.path / "p.tfplan") << "x";
  gate::ShowJsonPlanInspector inspector(std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(inspector.inspect(fake.string(), "p.tfplan", test::request(fake.string(), {}, {}, dir.path.string())),
               std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(PlanInspectorJson, ParsesActionsAndRejectsMalformedOutput) {
  auto s = parse_plan_json(
      R"({"format_version":"1.2","resource_changes":[{"address":"module.m.x.y","type":"x","change":{"actions":["forget"]}}]})");
  ASSERT_EQ(s.changes.size(), 1u);
  EXPECT_EQ(s.changes[0].address, "module.m.x.y");
  EXPECT_TRUE(s.deletes_or_forgets());
  EXPECT_TRUE(parse_plan_json(R"({"format_version":"1.0"})").changes.empty());
  EXPECT_THROW(parse_plan_json("Error: nope"), std::runtime_error);
  EXPECT_THROW(parse_plan_json(R"({"resource_changes":[{"address":"a"}]})"), std::runtime_error);
}

}  // namespace
}  // namespace agentguard::policy
