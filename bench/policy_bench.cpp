// Google Benchmark: what the gate pays per watched launch for the policy (load + decide), for the
// built-in default policy and for the default plus 500 generated rules (the "exec decision at 500
// rules" figure of docs/performance.md, target <= 2 us).
#include <benchmark/benchmark.h>

#include <string>

#include "agentguard/policy.hpp"

namespace pol = agentguard::policy;

namespace {

// 500 extra [[exec]] rules on the programs the default already watches, each on a subcommand no
// real request uses, so every rule is a candidate the matcher must look at and reject before the
// default's own rules decide. A mix of plain command rules and command+flags rules.
std::string generated_rules(int count) {
  static const char* const programs[] = {"terraform", "aws", "pulumi", "terragrunt", "cdk"};
  std::string text = "schema = 1\n";
  for (int i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    text += "\n[[exec]]\nid = \"generated-" + n + "\"\naction = \"deny\"\nprogram = [\"" +
            programs[i % 5] + "\"]\ncommand = [\"bench" + n + "\", \"bench" + n + " sub\"]\n";
    if (i % 3 == 0) text += "flags = [\"force" + n + "\"]\n";
    text += "message = \"generated rule " + n + "\"\n";
  }
  return text;
}

const pol::Policy& policy_with(int extra_rules) {
  static const pol::Policy defaults = pol::Policy::load(pol::LoadOptions{});
  static const pol::Policy large = pol::Policy::from_text(generated_rules(500), "generated-500.toml", true);
  return extra_rules == 0 ? defaults : large;
}

const pol::ExecRequest& terraform_destroy() {
  static const pol::ExecRequest r{"/nonexistent/terraform", {"terraform", "-chdir=prod", "destroy", "-auto-approve"},
                                  {"TF_CLI_ARGS_destroy=-lock=false", "PATH=/usr/bin"}, "/work"};
  return r;
}

const pol::ExecRequest& aws_describe() {
  static const pol::ExecRequest r{"/nonexistent/aws", {"aws", "--region", "eu-west-1", "ec2", "describe-instances"},
                                  {}, "/work"};
  return r;
}

}  // namespace

static void BM_LoadDefaultPolicy(benchmark::State& state) {
  for (auto _ : state) {
    pol::Policy policy = pol::Policy::load(pol::LoadOptions{});
    benchmark::DoNotOptimize(policy);
  }
}
BENCHMARK(BM_LoadDefaultPolicy)->Unit(benchmark::kMillisecond);

static void BM_LoadPolicy500Rules(benchmark::State& state) {
  const std::string text = generated_rules(500);
  for (auto _ : state) {
    pol::Policy policy = pol::Policy::from_text(text, "generated-500.toml", true);
    benchmark::DoNotOptimize(policy);
  }
}
BENCHMARK(BM_LoadPolicy500Rules)->Unit(benchmark::kMillisecond);

// The Exec* names are the exec decision figures (run_bench.py gives them the 2 us target).
static void BM_ExecDecide_TerraformDestroy(benchmark::State& state) {
  const pol::Policy& policy = policy_with(static_cast<int>(state.range(0)));
  if (policy.decide_exec(terraform_destroy()).action != pol::Action::deny) state.SkipWithError("destroy not denied");
  for (auto _ : state) benchmark::DoNotOptimize(policy.decide_exec(terraform_destroy()));
  state.counters["rules"] = static_cast<double>(policy.rule_count());
}
BENCHMARK(BM_ExecDecide_TerraformDestroy)->Arg(0)->Arg(500)->Unit(benchmark::kMicrosecond);

static void BM_ExecDecide_AwsDescribe(benchmark::State& state) {
  const pol::Policy& policy = policy_with(static_cast<int>(state.range(0)));
  if (policy.decide_exec(aws_describe()).action != pol::Action::allow) state.SkipWithError("describe not allowed");
  for (auto _ : state) benchmark::DoNotOptimize(policy.decide_exec(aws_describe()));
  state.counters["rules"] = static_cast<double>(policy.rule_count());
}
BENCHMARK(BM_ExecDecide_AwsDescribe)->Arg(0)->Arg(500)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
