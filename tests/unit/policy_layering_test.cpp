// Layers, disable, and the precedence deny > allow > ask > log > (no match: allow).
#include <gtest/gtest.h>

#include <fstream>

#include "agentguard/policy.hpp"
#include "policy_test_support.hpp"

namespace agentguard::policy {
namespace {

Decision decide(const Policy& policy, std::vector<std::string> argv, std::vector<std::string> env = {}) {
  std::string path = "/nonexistent/bin/" + argv[0];
  return policy.decide_exec(test::request(path, std::move(argv), std::move(env)));
}

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = (dir.path / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(PolicyLayering, PrecedenceAcrossRules) {
  Policy policy = Policy::from_text(R"(schema = 1
[[exec]]
id = "log-all"
action = "log"
program = "terraform"
[[exec]]
id = "ask-apply"
action = "ask"
program = "terraform"
command = "apply"
[[exec]]
id = "allow-apply-dev"
action = "allow"
program = "terraform"
command = "apply"
cwd = "/work/dev*"
[[exec]]
id = "deny-apply-prod"
action = "deny"
program = "terraform"
command = "apply"
env = { TF_WORKSPACE = "prod*" }
)",
                                    "p.toml");
  EXPECT_EQ(decide(policy, {"terraform", "plan"}).action, Action::log);
  EXPECT_EQ(decide(policy, {"terraform", "apply"}).rule_id, "ask-apply");
  EXPECT_EQ(policy.decide_exec(test::request("/x/terraform", {"terraform", "apply"}, {}, "/work/dev1")).rule_id,
            "allow-apply-dev");
  // deny beats allow, even when the allow matches too.
  auto d = policy.decide_exec(test::request("/x/terraform", {"terraform", "apply"}, {"TF_WORKSPACE=prod-eu"}, "/work/dev1"));
  EXPECT_EQ(d.action, Action::deny);
  EXPECT_EQ(d.rule_id, "deny-apply-prod");
  EXPECT_EQ(d.source.to_string(), "p.toml:17:1");
  EXPECT_EQ(decide(policy, {"aws", "s3", "ls"}).action, Action::allow);
  EXPECT_TRUE(decide(policy, {"aws", "s3", "ls"}).rule_id.empty());
}

TEST(PolicyLayering, UserLayerDisablesADefaultRule) {
  test::TempDir dir;
  LoadOptions options;
  options.files = {write(dir, "user.toml", "schema = 1\ndisable = [\"terraform-workspace-delete\"]\n")};
  Policy loosened = Policy::load(options);
  Policy strict = Policy::load(LoadOptions{});
  std::vector<std::string> argv = {"terraform", "workspace", "delete", "dev"};
  EXPECT_EQ(decide(strict, argv).action, Action::deny);
  EXPECT_EQ(decide(loosened, argv).action, Action::allow);
  EXPECT_EQ(decide(loosened, {"terraform", "destroy"}).action, Action::deny);
  EXPECT_NE(loosened.describe().find("disabled: terraform-workspace-delete"), std::string::npos);
}

TEST(PolicyLayering, DisableUnknownIdAndDuplicateAcrossLayersAreErrors) {
  test::TempDir dir;
  LoadOptions options;
  options.files = {write(dir, "a.toml", "schema = 1\ndisable = [\"no-such-rule\"]\n")};
  try {
    Policy::load(options);
    FAIL();
  } catch (const PolicyError& e) {
    EXPECT_EQ(std::string(e.what()), options.files[0] + ":2:12: `disable`: no rule \"no-such-rule\" in a lower layer");
  }
  options.files = {write(dir, "b.toml", "schema = 1\n[[exec]]\nid = \"terraform-destroy\"\naction = \"allow\"\nprogram = \"terraform\"\n")};
  EXPECT_THROW(Policy::load(options), PolicyError);
  // Disabling first makes the id free to redefine.
  options.files = {write(dir, "c.toml",
                         "schema = 1\ndisable = [\"terraform-destroy\"]\n[[exec]]\nid = \"terraform-destroy\"\naction = "
                         "\"ask\"\nprogram = \"terraform\"\ncommand = \"destroy\"\n")};
  EXPECT_EQ(decide(Policy::load(options), {"terraform", "destroy"}).action, Action::ask);
}

TEST(PolicyLayering, AllowInUpperLayerCannotBeatDefaultDeny) {
  Policy policy = Policy::from_text(
      "schema = 1\n[[exec]]\nid = \"yolo\"\naction = \"allow\"\nprogram = [\"terraform\"]\n", "user.toml", true);
  EXPECT_EQ(decide(policy, {"terraform", "destroy"}).action, Action::deny);
}

TEST(PolicyLayering, UnlessExceptions) {
  Policy policy = Policy::from_text(R"(schema = 1
[[exec]]
id = "no-kubectl-delete"
action = "deny"
program = "kubectl"
command = "delete"
unless = [{ flags = ["dry-run=client", "dry-run=server"] }, { env = { KUBECONFIG = "*kind*" } }]
)",
                                    "p.toml");
  EXPECT_EQ(decide(policy, {"kubectl", "delete", "pod", "x"}).action, Action::deny);
  // No dialect knows kubectl's options, so the command may appear after them.
  EXPECT_EQ(decide(policy, {"kubectl", "-n", "prod", "delete", "pod", "x"}).action, Action::deny);
  EXPECT_EQ(decide(policy, {"kubectl", "get", "pods"}).action, Action::allow);
  EXPECT_EQ(decide(policy, {"kubectl", "delete", "pod", "x", "--dry-run=client"}).action, Action::allow);
  EXPECT_EQ(decide(policy, {"kubectl", "delete", "pod", "x"}, {"KUBECONFIG=/home/a/kind.yaml"}).action, Action::allow);
  // The program named by a rule joins the watch list.
  EXPECT_NE(policy.watch_list("").find("p=terraform,tofu,terragrunt,pulumi,cdk,aws,kubectl;"), std::string::npos);
}

TEST(PolicyLayering, EmptyOrBrokenSessionWatchListDoesNotUnwatch) {
  Policy policy = Policy::load(LoadOptions{});
  for (const char* watch : {"AGENTGUARD_WATCH=", "AGENTGUARD_WATCH=garbage", "AGENTGUARD_WATCH=v1;w=sudo"})
    EXPECT_EQ(decide(policy, {"terraform", "destroy"}, {watch}).action, Action::deny) << watch;
  // A valid session list is used together with the programs the loaded policy names (a project file
  // the session did not cover sends its launches here): it never shrinks what the policy watches.
  EXPECT_EQ(policy.decide_exec(test::request("/usr/local/bin/terraform", {"terraform", "destroy"},
                                             {"AGENTGUARD_WATCH=v1;p=aws;w=sudo"}))
                .action,
            Action::deny);
}

TEST(PolicyLayering, WatchListHasFingerprintsOfProgramsOnPath) {
  test::TempDir dir;
  std::string tf = write(dir, "terraform", std::string(10000, 'x') + "tail");
  std::filesystem::permissions(tf, std::filesystem::perms::owner_all);
  Policy policy = Policy::load(LoadOptions{});
  std::string list = policy.watch_list(dir.path.string());
  EXPECT_EQ(list.rfind("v1;p=terraform,tofu,terragrunt,pulumi,cdk,aws,agentguard-canary;w=sudo,doas,su,pkexec,sg,newgrp,runuser,setpriv,chroot;m=awscli:aws;f=terraform:10004:", 0), 0u)
      << list;
  std::string hash = list.substr(list.rfind(':') + 1);
  EXPECT_EQ(hash.size(), 16u);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(list.find("f=aws"), std::string::npos);  // not on that PATH
}

}  // namespace
}  // namespace agentguard::policy
