// Google Benchmark: what the gate pays per watched launch for the policy (load + decide).
#include <benchmark/benchmark.h>

#include "agentguard/policy.hpp"

namespace pol = agentguard::policy;

static void BM_LoadDefaultPolicy(benchmark::State& state) {
  for (auto _ : state) {
    pol::Policy policy = pol::Policy::load(pol::LoadOptions{});
    benchmark::DoNotOptimize(policy);
  }
}
BENCHMARK(BM_LoadDefaultPolicy)->Unit(benchmark::kMillisecond);

static void BM_DecideTerraformDestroy(benchmark::State& state) {
  pol::Policy policy = pol::Policy::load(pol::LoadOptions{});
  pol::ExecRequest request{"/nonexistent/terraform", {"terraform", "-chdir=prod", "destroy", "-auto-approve"},
                           {"TF_CLI_ARGS_destroy=-lock=false", "PATH=/usr/bin"}, "/work"};
  for (auto _ : state) benchmark::DoNotOptimize(policy.decide_exec(request));
}
BENCHMARK(BM_DecideTerraformDestroy)->Unit(benchmark::kMicrosecond);

static void BM_DecideAwsDescribe(benchmark::State& state) {
  pol::Policy policy = pol::Policy::load(pol::LoadOptions{});
  pol::ExecRequest request{"/nonexistent/aws", {"aws", "--region", "eu-west-1", "ec2", "describe-instances"}, {}, "/work"};
  for (auto _ : state) benchmark::DoNotOptimize(policy.decide_exec(request));
}
BENCHMARK(BM_DecideAwsDescribe)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
