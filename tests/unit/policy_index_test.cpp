// The rule index (policy/src/rule_index.hpp) must not change any decision: Policy::decide_exec
// evaluates only the candidates the index names, and must decide exactly as when it evaluates every
// active rule in order (detail::scan_all_rules(), the reference). Differential: random policies on
// top of the default (literal and glob programs, no program, duplicate names, disabled rules,
// `unless`, env/cwd/plan conditions) against many random launches (interpreter and loader
// unwrapping, sudo/su/sh -c, TF_CLI_ARGS*, session watch lists), with and without a trace.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "rule_index.hpp"
#include "agentguard/policy.hpp"
#include "policy_test_support.hpp"

namespace agentguard::policy {
namespace {

using Rng = std::mt19937;

template <typename T>
const T& pick(Rng& rng, const std::vector<T>& from) {
  return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
}
bool chance(Rng& rng, int percent) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; }

std::string toml_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + std::string("\"") + items[i] + "\"";
  return out + "]";
}

// Program lists: literal names (one of them unwatched by default: kubectl, helm), globs, a list
// mixing both, a duplicate, a wrapper.
const std::vector<std::vector<std::string>> kPrograms = {
    {"terraform"}, {"tofu", "terraform"}, {"aws"},       {"kubectl"},          {"helm"},
    {"pulumi"},    {"cdk"},               {"terragrunt"}, {"terra*"},           {"*"},
    {"t?fu"},      {"[ta]*"},             {"aws", "terra*"}, {"terraform", "terraform"}, {"sudo"},
    {"terra\\\\form"}};
// Command alternatives: literal first words, globbed first words, two-word commands.
const std::vector<std::string> kCommands = {"destroy", "apply", "plan",   "state rm", "state *", "s3 rb",
                                            "s3 *",    "ec2 terminate-instances", "delete", "de*", "*",
                                            "get pods", "shell", "up",   "stack rm", "[ad]*", "bench1", "rm"};
const std::vector<std::string> kFlags = {"destroy", "force", "auto-approve", "dry-run", "target=*",
                                         "lock=false", "region=eu-*", "no-*", "recursive"};
const std::vector<std::string> kUnless = {"{ flags = [\"dry-run\"] }", "{ program = [\"tofu\"] }",
                                          "{ command = [\"apply\"] }", "{ cwd = \"/tmp/*\" }",
                                          "[{ flags = [\"target\"] }, { env = { TF_WORKSPACE = \"dev*\" } }]"};
const std::vector<std::string> kActions = {"deny", "allow", "ask", "log"};

std::string random_rule(Rng& rng, const std::string& id) {
  std::string text = "\n[[exec]]\nid = \"" + id + "\"\naction = \"" + pick(rng, kActions) + "\"\n";
  bool any = false;
  if (chance(rng, 85)) {
    text += "program = " + toml_list(pick(rng, kPrograms)) + "\n";
    any = true;
  }
  bool with_command = chance(rng, 80);
  std::string first_command;
  if (with_command) {
    std::vector<std::string> alternatives{pick(rng, kCommands)};
    if (chance(rng, 30)) alternatives.push_back(pick(rng, kCommands));
    first_command = alternatives.front();
    text += "command = " + toml_list(alternatives) + "\n";
    any = true;
  }
  if (chance(rng, 30)) {
    std::vector<std::string> flags{pick(rng, kFlags)};
    if (chance(rng, 30)) flags.push_back(pick(rng, kFlags));
    text += "flags = " + toml_list(flags) + "\n";
    any = true;
  }
  if (chance(rng, 10)) text += "env = { TF_WORKSPACE = \"prod*\" }\n";
  if (chance(rng, 10)) text += "cwd = \"" + std::string(chance(rng, 50) ? "/work/prod*" : "*") + "\"\n";
  if (with_command && first_command == "apply" && chance(rng, 40)) text += "plan = \"deletes\"\n";
  if (!any) text += "command = [\"destroy\"]\n";
  if (chance(rng, 20)) text += "unless = " + pick(rng, kUnless) + "\n";
  return text;
}

// Two layers above the default: the second disables some rules of the first and of the default.
Policy random_policy(Rng& rng, int rules) {
  std::string lower = "schema = 1\n";
  for (int i = 0; i < rules; ++i) lower += random_rule(rng, "r" + std::to_string(i));
  std::vector<std::string> disabled = {"terraform-destroy", "aws-s3-sync-delete"};
  for (int i = 0; i < rules; ++i)
    if (chance(rng, 20)) disabled.push_back("r" + std::to_string(i));
  std::string upper = "schema = 1\ndisable = " + toml_list(disabled) + "\n";
  for (int i = 0; i < rules / 4; ++i) upper += random_rule(rng, "u" + std::to_string(i));
  return Policy::from_layers({{"lower.toml", lower, false}, {"upper.toml", upper, false}}, true);
}

// Saved plans: d.tfplan deletes, k.tfplan keeps, boom.tfplan cannot be read (the rule refuses).
class FakePlans : public PlanInspector {
 public:
  std::optional<PlanSummary> inspect(const std::string&, const std::string& plan_file,
                                     const ExecRequest&) const override {
    if (plan_file == "boom.tfplan") throw std::runtime_error("cannot run terraform show");
    if (plan_file == "d.tfplan") return PlanSummary{{{"aws_db_instance.main", "aws_db_instance", {"delete"}, ""}}};
    if (plan_file == "k.tfplan") return PlanSummary{{{"aws_s3_bucket.logs", "aws_s3_bucket", {"create"}, ""}}};
    return std::nullopt;
  }
};

const std::vector<std::string> kWords = {
    "destroy", "apply", "plan", "state", "rm", "s3", "rb", "s3://b", "ec2", "terminate-instances", "delete", "get",
    "pods", "-chdir=prod", "-destroy", "--force", "-auto-approve", "--dry-run", "-target=x", "--region", "eu-west-1",
    "-lock=false", "up", "stack", "shell", "bench1", "d.tfplan", "k.tfplan", "boom.tfplan", "--recursive", "--",
    "-destroy=false", "--no-force", "x"};
const std::vector<std::string> kEnv = {"TF_CLI_ARGS=-destroy", "TF_CLI_ARGS_apply=-auto-approve -destroy",
                                       "TF_CLI_ARGS_destroy=-lock=false", "TF_WORKSPACE=prod-eu",
                                       "TF_WORKSPACE=dev-1", "TF_CLI_ARGS_plan='unclosed"};

struct Fixture {
  test::TempDir dir;
  std::string bin;
  Fixture() {
    bin = (dir.path / "bin").string();
    std::filesystem::create_directories(bin);
    for (const char* name : {"python3", "ld-linux-x86-64.so.2", "terraform", "tofu", "kubectl", "aws"}) {
      std::ofstream(bin + "/" + name) << "#!/usr/bin/python3\n";
      std::filesystem::permissions(bin + "/" + name, std::filesystem::perms::owner_all);
    }
  }
};

std::vector<std::string> random_words(Rng& rng, int max) {
  std::vector<std::string> words;
  const int n = std::uniform_int_distribution<int>(0, max)(rng);
  for (int i = 0; i < n; ++i) words.push_back(pick(rng, kWords));
  return words;
}

std::string shell_line(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& w : words) line += (line.empty() ? "" : " ") + w;
  return line;
}

ExecRequest random_request(Rng& rng, const Fixture& fx, const std::string& session_list) {
  static const std::vector<std::string> programs = {"terraform", "tofu", "aws", "kubectl", "helm", "pulumi",
                                                    "cdk", "terragrunt", "ls", "terraformx"};
  ExecRequest r;
  r.cwd = chance(rng, 70) ? "/work" : (chance(rng, 50) ? "/work/prod" : "/tmp/x");
  for (const auto& e : kEnv)
    if (chance(rng, 12)) r.env.push_back(e);
  r.env.push_back("PATH=" + (chance(rng, 50) ? fx.bin : std::string("/nonexistent")));
  if (!session_list.empty() && chance(rng, 50)) r.env.push_back("AGENTGUARD_WATCH=" + session_list);
  if (chance(rng, 5)) r.env.push_back("AGENTGUARD_WATCH=garbage");
  std::vector<std::string> tail = random_words(rng, 5);
  const std::string program = pick(rng, programs);
  switch (std::uniform_int_distribution<int>(0, 9)(rng)) {
    case 0:  // python3 SCRIPT: the script is the program
      r.resolved_path = fx.bin + "/python3";
      r.argv = {"python3", fx.bin + "/" + (chance(rng, 50) ? "aws" : "terraform")};
      break;
    case 1:  // python3 -m awscli
      r.resolved_path = fx.bin + "/python3";
      r.argv = {"python3", "-m", "awscli"};
      break;
    case 2:  // the dynamic loader run directly
      r.resolved_path = fx.bin + "/ld-linux-x86-64.so.2";
      r.argv = {"ld.so", fx.bin + "/" + (chance(rng, 50) ? "tofu" : "kubectl")};
      break;
    case 3:  // sudo [options] PROGRAM
      r.resolved_path = "/nonexistent/bin/sudo";
      r.argv = {"sudo"};
      if (chance(rng, 30)) r.argv.insert(r.argv.end(), {"-u", "deploy"});
      if (chance(rng, 20)) r.argv.push_back("timeout");
      if (chance(rng, 20)) r.argv.push_back("60");
      if (chance(rng, 80)) r.argv.push_back(program);
      break;
    case 4: {  // sudo sh -c 'A; B' and su -c 'A'
      const bool su = chance(rng, 40);
      r.resolved_path = su ? "/nonexistent/bin/su" : "/nonexistent/bin/sudo";
      std::vector<std::string> first{program};
      auto more = random_words(rng, 3);
      first.insert(first.end(), more.begin(), more.end());
      std::string line = shell_line(first);
      if (chance(rng, 50)) line += (chance(rng, 50) ? " && " : "; ") + pick(rng, programs) + " " + pick(rng, kWords);
      if (chance(rng, 30)) line = "env TF_WORKSPACE=prod-eu " + line;
      r.argv = su ? std::vector<std::string>{"su", "-c", line, "root"} : std::vector<std::string>{"sudo", "sh", "-c", line};
      tail.clear();
      break;
    }
    case 5:  // a real file named like the program
      r.resolved_path = fx.bin + "/" + (chance(rng, 50) ? "terraform" : "kubectl");
      r.argv = {std::filesystem::path(r.resolved_path).filename().string()};
      break;
    default:  // judged by its name
      r.resolved_path = "/nonexistent/bin/" + program;
      r.argv = {program};
      break;
  }
  r.argv.insert(r.argv.end(), tail.begin(), tail.end());
  return r;
}

std::string describe(const ExecRequest& r) {
  std::string out = r.resolved_path + " [";
  for (const auto& a : r.argv) out += " '" + a + "'";
  out += " ] env:";
  for (const auto& e : r.env) out += " " + e;
  return out + " cwd: " + r.cwd;
}

// Sets detail::scan_all_rules() for its lifetime.
struct FullScan {
  FullScan() { detail::scan_all_rules() = true; }
  ~FullScan() { detail::scan_all_rules() = false; }
};

struct Coverage {
  std::map<std::string, int> deciding_rules;
  int decided_by_generated_rule = 0, excepted = 0, plan_refusals = 0, unwrapped = 0;
};

void expect_same_decision(const Policy& policy, const ExecRequest& request, const PlanInspector* plans,
                          Coverage& coverage) {
  for (Trace trace : {Trace::off, Trace::on}) {
    const Decision indexed = policy.decide_exec(request, plans, trace);
    Decision full;
    {
      FullScan scan;
      full = policy.decide_exec(request, plans, trace);
    }
    SCOPED_TRACE(describe(request) + (trace == Trace::on ? " (traced)" : ""));
    ASSERT_EQ(to_string(indexed.action), to_string(full.action));
    ASSERT_EQ(indexed.rule_id, full.rule_id);
    ASSERT_EQ(indexed.message, full.message);
    ASSERT_EQ(indexed.source.to_string(), full.source.to_string());
    ASSERT_EQ(indexed.program, full.program);
    ASSERT_EQ(indexed.effective_argv, full.effective_argv);
    ASSERT_EQ(indexed.trace, full.trace);
    if (trace == Trace::off) {
      EXPECT_TRUE(indexed.trace.empty());
      continue;
    }
    coverage.deciding_rules[indexed.rule_id]++;
    if (indexed.source.file == "lower.toml" || indexed.source.file == "upper.toml") coverage.decided_by_generated_rule++;
    for (const auto& line : indexed.trace) {
      if (line.find("matches, but its `unless`") != std::string::npos) coverage.excepted++;
      if (line.find("-> deny") != std::string::npos) coverage.plan_refusals++;
      if (line.find("via interpreter") != std::string::npos || line.find("via loader") != std::string::npos)
        coverage.unwrapped++;
    }
  }
}

TEST(PolicyIndex, DecidesLikeAFullScanOfEveryRule) {
  Fixture fx;
  const FakePlans plans;
  Coverage coverage;
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    Rng rng(seed);
    const Policy policy = random_policy(rng, seed == 4 ? 400 : 120);
    ASSERT_TRUE(policy.check_examples().empty());  // the default's examples still hold where not disabled
    const std::string session = policy.watch_list("/nonexistent");
    for (int i = 0; i < 400; ++i) {
      const ExecRequest request = random_request(rng, fx, session);
      expect_same_decision(policy, request, chance(rng, 50) ? &plans : nullptr, coverage);
      if (HasFatalFailure()) return;
    }
  }
  // The launches reached what the index must get right.
  EXPECT_GT(coverage.decided_by_generated_rule, 100);
  EXPECT_GT(coverage.deciding_rules.size(), 40u);
  EXPECT_GT(coverage.excepted, 20);
  EXPECT_GT(coverage.plan_refusals, 0);
  EXPECT_GT(coverage.unwrapped, 50);
}

// The same over the plain default policy and command lines its own examples use.
TEST(PolicyIndex, DefaultPolicyDecidesLikeAFullScan) {
  Fixture fx;
  Coverage coverage;
  const Policy policy = Policy::load(LoadOptions{});
  const std::vector<std::vector<std::string>> lines = {
      {"terraform", "destroy"},        {"terraform", "-chdir=prod", "destroy", "-auto-approve"},
      {"terraform", "apply", "-destroy"}, {"tofu", "apply", "-destroy=false"},
      {"terraform", "state", "rm", "x"},  {"terraform"},
      {"aws", "s3", "rb", "s3://b", "--force"}, {"aws", "--region", "eu-west-1", "ec2", "describe-instances"},
      {"aws", "ec2", "terminate-instances", "--dry-run"}, {"pulumi", "destroy"}, {"cdk", "destroy"},
      {"terragrunt", "run-all", "destroy"}, {"sudo", "terraform", "destroy"}, {"sudo", "-s"},
      {"su", "-c", "terraform destroy -auto-approve", "root"}, {"kubectl", "delete", "ns", "x"}};
  for (const auto& argv : lines)
    for (const auto& env : std::vector<std::vector<std::string>>{{}, {"TF_CLI_ARGS=-destroy"}, {"TF_WORKSPACE=prod"}})
      expect_same_decision(policy, test::request("/nonexistent/bin/" + argv[0], argv, env), nullptr, coverage);
  EXPECT_EQ(coverage.deciding_rules.count("terraform-destroy"), 1u);
}

// A glob program and a rule without a program are candidates for every program; the first rule
// of the highest precedence decides, as before the index.
TEST(PolicyIndex, GlobProgramsAndTiesKeepRuleOrder) {
  const Policy policy = Policy::from_text(R"(
schema = 1
[[exec]]
id = "any-delete-log"
action = "log"
program = ["*"]
command = ["delete"]
[[exec]]
id = "kubectl-delete-ask"
action = "ask"
program = ["kubectl"]
command = ["delete"]
[[exec]]
id = "terra-glob-allow"
action = "allow"
program = ["terra*"]
command = ["destroy"]
[[exec]]
id = "no-program-allow"
action = "allow"
command = ["destroy"]
[[exec]]
id = "kubectl-anywhere"
action = "deny"
program = ["kubectl"]
command = ["drain"]
)",
                                          "p.toml", true);
  const auto decide = [&](const std::vector<std::string>& argv) {
    return policy.decide_exec(test::request("/nonexistent/bin/" + argv[0], argv)).rule_id;
  };
  EXPECT_EQ(decide({"kubectl", "delete", "pod", "x"}), "kubectl-delete-ask");  // ask > log
  EXPECT_EQ(decide({"helm", "delete", "x"}), "");                               // helm is not watched
  EXPECT_EQ(decide({"terraform", "destroy"}), "terraform-destroy");             // deny > allow
  EXPECT_EQ(decide({"tofu", "destroy"}), "terraform-destroy");
  EXPECT_EQ(decide({"pulumi", "destroy"}), "pulumi-destroy");
  // kubectl has no dialect: a command matches at any position, so the first-word index is not used.
  EXPECT_EQ(decide({"kubectl", "-n", "prod", "drain", "node-1"}), "kubectl-anywhere");
}

}  // namespace
}  // namespace agentguard::policy
