// Cost of the HTTPS guard's per-request work: reassembly, classification and the rule decision,
// on real botocore request bytes, against the default API rules.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agentguard/api_rules.hpp"
#include "core/http/api_decide.hpp"
#include "core/http/aws_classify.hpp"
#include "core/http/request_stream.hpp"
#include "http_captured.hpp"

namespace http = agentguard::core::http;

namespace {

std::string default_blob() {
  std::ifstream in(std::string(AGENTGUARD_SOURCE_DIR) + "/policy/default-api-rules.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::istringstream toml_in(text.str());
  auto doc = toml::parse(toml_in, "default-api-rules.toml");
  return agentguard::policy::compile_api_rules(agentguard::policy::parse_api_rules(toml::find(doc, "api"), "default"));
}

std::string capture(const char* name) {
  for (const auto& c : captured::all())
    if (std::string(c.name) == name) {
      std::string s;
      for (auto w : c.writes) s.append(w);
      return s;
    }
  return {};
}

void run(benchmark::State& state, const char* name) {
  static const std::string blob = default_blob();
  const std::string request = capture(name);
  std::vector<char> buffer(64 * 1024);
  http::RequestStream stream;
  http::Classification c;
  for (auto _ : state) {
    stream.init(buffer.data(), buffer.size(), 16 * 1024);
    http::Step step = stream.offer(request.data(), request.size());
    http::classify(stream.request(), c);
    http::ApiDecision d = http::decide_api(blob.data(), blob.size(), c);
    benchmark::DoNotOptimize(step);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * request.size()));
}

void classify_only(benchmark::State& state) {
  const std::string request = capture("rds_describe");
  std::vector<char> buffer(64 * 1024);
  http::RequestStream stream;
  stream.init(buffer.data(), buffer.size(), 16 * 1024);
  stream.offer(request.data(), request.size());
  http::Classification c;
  for (auto _ : state) {
    http::classify(stream.request(), c);
    benchmark::DoNotOptimize(c);
  }
}

}  // namespace

BENCHMARK_CAPTURE(run, query_rds_describe, "rds_describe");
BENCHMARK_CAPTURE(run, query_rds_delete, "rds_delete_db_instance");
BENCHMARK_CAPTURE(run, json_dynamodb_get_item, "dynamodb_get_item");
BENCHMARK_CAPTURE(run, rest_json_lambda_delete, "lambda_delete_function");
BENCHMARK_CAPTURE(run, rest_xml_s3_delete_objects, "s3_delete_objects");
BENCHMARK(classify_only);
BENCHMARK_MAIN();
