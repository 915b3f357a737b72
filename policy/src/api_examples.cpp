// Examples of API rules, and `explain --http`.
#include <sstream>
#include <stdexcept>

#include "agentguard/api_request.hpp"
#include "agentguard/api_rules.hpp"
#include "core/http/api_decide.hpp"
#include "core/http/error_reply.hpp"

namespace agentguard::policy {

namespace http = core::http;

namespace {

bool looks_like_raw_request(const std::string& example) {
  auto line_end = example.find('\n');
  return example.substr(0, line_end).find(" HTTP/1.") != std::string::npos;
}

std::string short_form(const std::string& example) {
  std::string first = example.substr(0, example.find('\n'));
  if (first.size() > 80) first = first.substr(0, 77) + "...";
  return first;
}

std::string describe(const http::Classification& c) {
  std::string s = std::string(c.service) + ":" + (c.operation[0] ? c.operation : "(unknown)");
  if (c.uncertain) s += " (uncertain)";
  for (std::size_t i = 0; i < http::kFactCount; ++i) {
    const auto& f = c.facts[i];
    if (!f.present) continue;
    s += std::string(" ") + http::fact_name(static_cast<http::Fact>(i)) + "=" + (f.ambiguous ? "(ambiguous)" : f.value);
  }
  return s;
}

// Classifies one example; returns false with `error` set when the example itself is broken.
bool run_example(const std::string& example, const std::string& rule_blob, bool* matched, std::string* seen,
                 std::string* error) {
  try {
    if (looks_like_raw_request(example)) {
      RawHttpRequest raw(example);
      *matched = http::api_rule_matches(rule_blob.data(), rule_blob.size(), 0, raw.classification());
      *seen = describe(raw.classification());
    } else {
      http::Classification c = classification_from_call(example);
      *matched = http::api_rule_matches(rule_blob.data(), rule_blob.size(), 0, c);
      *seen = describe(c);
    }
    return true;
  } catch (const std::invalid_argument& e) {
    *error = e.what();
    return false;
  }
}

}  // namespace

std::vector<std::string> check_api_examples(const std::vector<ApiRuleSpec>& specs) {
  std::vector<std::string> failures;
  for (const auto& spec : specs) {
    std::string single = compile_api_rules({spec});
    auto check = [&](const std::string& example, bool want) {
      bool matched = false;
      std::string seen, error;
      std::string prefix = spec.source.to_string() + ": rule " + spec.id + ": ";
      if (!run_example(example, single, &matched, &seen, &error)) {
        failures.push_back(prefix + (want ? "example `" : "not_example `") + short_form(example) + "` is invalid: " + error);
      } else if (matched != want) {
        failures.push_back(prefix + (want ? "example `" : "not_example `") + short_form(example) +
                           (want ? "` does not match" : "` matches") + " (classified as " + seen + ")");
      }
    };
    for (const auto& e : spec.examples) check(e, true);
    for (const auto& e : spec.not_examples) check(e, false);
  }
  return failures;
}

std::string explain_http_request(std::string_view raw_request, const std::string& rule_blob) {
  RawHttpRequest raw(raw_request);
  const auto& c = raw.classification();
  std::ostringstream out;
  out << "request:   " << std::string_view(raw.request().method.data, raw.request().method.size) << ' '
      << std::string_view(raw.request().target.data, raw.request().target.size) << '\n';
  out << "aws:       " << (c.aws ? "yes" : "no") << '\n';
  out << "host:      " << std::string_view(c.host.data, c.host.size) << '\n';
  out << "protocol:  " << http::to_string(c.protocol) << '\n';
  out << "call:      " << describe(c) << '\n';
  if (!c.facts_complete) out << "note:      only part of the body was seen\n";
  http::ApiDecision d = http::decide_api(rule_blob.data(), rule_blob.size(), c);
  out << "decision:  " << http::to_string(d.action);
  if (d.rule_index >= 0 || d.invalid_rules) out << " (rule " << std::string_view(d.rule_id.data, d.rule_id.size) << ')';
  out << '\n';
  if (d.action == http::ApiAction::deny) {
    char reply[4096];
    std::size_t n = http::build_error_reply(c, d.rule_id, d.message, reply, sizeof reply);
    out << "reply:\n" << std::string_view(reply, n) << '\n';
  }
  return out.str();
}

}  // namespace agentguard::policy
