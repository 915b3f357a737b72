// Google Benchmark: what the gate pays per watched launch for the policy (load + decide), for the
// built-in default policy and for the default plus 500 generated rules (the "exec decision at 500
// rules" figure of docs/performance.md, target <= 2 us).
#include <benchmark/benchmark.h>

#include <string>

#include "agentguard/policy.hpp"

namespace pol = agentguard::policy;

namespace {

// 500 extra [[exec]] rules on the programs the default already watches, each on a subcommand no
// real request uses, which the matcher must reject before the default's own rules decide. A mix of
// plain command rules and command+flags rules. Their program and first command word are literal,
// so the policy's rule index skips them all (see docs/performance.md); the UnindexedRules benchmark's
// rules are globs the index cannot skip (not an Exec* figure: no 2 us target).
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

// 500 rules that every terraform command is a candidate for (a program glob, a first command word
// glob), rejected only by their second word: what each rule costs when it must be evaluated.
std::string unindexable_rules(int count) {
  std::string text = "schema = 1\n";
  for (int i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    text += "\n[[exec]]\nid = \"glob-" + n + "\"\naction = \"deny\"\nprogram = [\"terra*\"]\ncommand = [\"* bench" + n +
            "\"]\n";
  }
  return text;
}

const pol::Policy& unindexable_policy() {
  static const pol::Policy policy = pol::Policy::from_text(unindexable_rules(500), "glob-500.toml", true);
  return policy;
}

const pol::Policy& policy_with(int extra_rules) {
  static const pol::Policy defaults = pol::Policy::load(pol::LoadOptions{});
  static const pol::Policy large = pol::Policy::from_text(generated_rules(500), "generated-500.toml", true);
  return extra_rules == 0 ? defaults : large;
}

// The gate's path: the session's AGENTGUARD_WATCH list is in the launch's environment (the gate
// always has it, and asks for no trace). Without it, decide_exec uses the policy's own list, and
// `policy explain` also asks for the trace.
pol::ExecRequest with_session_list(pol::ExecRequest r, const pol::Policy& policy) {
  r.env.push_back("AGENTGUARD_WATCH=" + policy.watch_list("/nonexistent"));
  return r;
}

pol::ExecRequest terraform_destroy(const pol::Policy& policy, bool session_list) {
  pol::ExecRequest r{"/nonexistent/terraform", {"terraform", "-chdir=prod", "destroy", "-auto-approve"},
                     {"TF_CLI_ARGS_destroy=-lock=false", "PATH=/usr/bin"}, "/work"};
  return session_list ? with_session_list(r, policy) : r;
}

pol::ExecRequest aws_describe(const pol::Policy& policy, bool session_list) {
  pol::ExecRequest r{"/nonexistent/aws", {"aws", "--region", "eu-west-1", "ec2", "describe-instances"},
                     {"PATH=/usr/bin"}, "/work"};
  return session_list ? with_session_list(r, policy) : r;
}

void decide(benchmark::State& state, const pol::ExecRequest& request, pol::Action expected,
            pol::Trace trace = pol::Trace::off) {
  const pol::Policy& policy = policy_with(static_cast<int>(state.range(0)));
  if (policy.decide_exec(request, nullptr, trace).action != expected) state.SkipWithError("unexpected decision");
  for (auto _ : state) benchmark::DoNotOptimize(policy.decide_exec(request, nullptr, trace));
  state.counters["rules"] = static_cast<double>(policy.rule_count());
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

// The Exec* names are the exec decision figures (run_bench.py gives them the 2 us target); the
// argument is the number of generated rules on top of the default.
static void BM_ExecDecide_TerraformDestroy(benchmark::State& state) {
  const auto& policy = policy_with(static_cast<int>(state.range(0)));
  decide(state, terraform_destroy(policy, true), pol::Action::deny);
}
BENCHMARK(BM_ExecDecide_TerraformDestroy)->Arg(0)->Arg(500)->Unit(benchmark::kMicrosecond);

static void BM_ExecDecide_AwsDescribe(benchmark::State& state) {
  const auto& policy = policy_with(static_cast<int>(state.range(0)));
  decide(state, aws_describe(policy, true), pol::Action::allow);
}
BENCHMARK(BM_ExecDecide_AwsDescribe)->Arg(0)->Arg(500)->Unit(benchmark::kMicrosecond);

static void BM_UnindexedRules_TerraformDestroy(benchmark::State& state) {
  const auto& policy = unindexable_policy();
  const pol::ExecRequest request = terraform_destroy(policy, true);
  if (policy.decide_exec(request).action != pol::Action::deny) state.SkipWithError("unexpected decision");
  for (auto _ : state) benchmark::DoNotOptimize(policy.decide_exec(request));
  state.counters["rules"] = static_cast<double>(policy.rule_count());
}
BENCHMARK(BM_UnindexedRules_TerraformDestroy)->Arg(500)->Unit(benchmark::kMicrosecond);

// `policy explain`'s path: no session list in the environment, and the trace.
static void BM_ExecDecideNoSessionList_AwsDescribe(benchmark::State& state) {
  const auto& policy = policy_with(static_cast<int>(state.range(0)));
  decide(state, aws_describe(policy, false), pol::Action::allow, pol::Trace::on);
}
BENCHMARK(BM_ExecDecideNoSessionList_AwsDescribe)->Arg(0)->Arg(500)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
