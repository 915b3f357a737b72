// ApiRuleSpec -> the plain-data blob of core/http/api_blob.hpp.
#include <cstring>
#include <stdexcept>

#include "agentguard/api_rules.hpp"
#include "core/http/api_blob.hpp"
#include "core/http/aws_classify.hpp"

namespace agentguard::policy {

namespace {

namespace blob = core::http::blob;

// The blob's action codes are the actions' precedence numbers, so the core compares them directly.
static_assert(blob::kDeny == precedence(Action::deny) && blob::kAllow == precedence(Action::allow) &&
              blob::kAsk == precedence(Action::ask) && blob::kLog == precedence(Action::log));
std::uint8_t action_code(Action action) { return static_cast<std::uint8_t>(precedence(action)); }

std::uint32_t u32(std::size_t n) {
  if (n > 0xffffffffu) throw std::length_error("API rules too large to compile");
  return static_cast<std::uint32_t>(n);
}

// Strings are collected first, their offsets fixed once the table sizes are known.
struct Strings {
  std::string bytes;
  blob::StringRef add(const std::string& s) {
    blob::StringRef ref{u32(bytes.size()), u32(s.size())};
    bytes += s;
    return ref;
  }
};

template <typename T>
void append(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

}  // namespace

std::string compile_api_rules(const std::vector<ApiRuleSpec>& specs) {
  std::vector<blob::Rule> rules;
  std::vector<blob::Pattern> patterns;
  std::vector<blob::Condition> conditions;
  Strings strings;
  for (const auto& spec : specs) {
    blob::Rule rule{};
    rule.action = action_code(spec.action);
    rule.id = strings.add(spec.id);
    rule.message = strings.add(spec.message);
    rule.pattern_first = u32(patterns.size());
    auto add_patterns = [&](const std::vector<std::string>& list, std::uint32_t kind) {
      for (const auto& m : list) {
        auto colon = m.find(':');
        std::string service = colon == std::string::npos ? m : m.substr(0, colon);
        std::string operation = colon == std::string::npos ? "*" : m.substr(colon + 1);
        patterns.push_back(blob::Pattern{strings.add(service), strings.add(operation), kind});
      }
    };
    add_patterns(spec.match, blob::kMatch);
    add_patterns(spec.except, blob::kExcept);
    rule.pattern_count = u32(patterns.size()) - rule.pattern_first;
    rule.condition_first = u32(conditions.size());
    auto add_conditions = [&](const std::vector<ApiCondition>& list, std::uint8_t kind) {
      for (const auto& c : list) {
        core::http::Fact fact;
        if (!core::http::fact_from_name(core::http::Text(c.fact.data(), c.fact.size()), &fact))
          throw PolicyError(c.where, "unknown fact `" + c.fact + "`");
        for (const auto& glob : c.globs) {
          blob::Condition cond{};
          cond.fact = static_cast<std::uint8_t>(fact);
          cond.kind = kind;
          cond.glob = strings.add(glob);
          conditions.push_back(cond);
        }
      }
    };
    add_conditions(spec.when, blob::kWhen);
    add_conditions(spec.unless, blob::kUnless);
    rule.condition_count = u32(conditions.size()) - rule.condition_first;
    rules.push_back(rule);
  }

  blob::Header header{};
  std::memcpy(header.magic, blob::kMagic, sizeof header.magic);
  header.version = blob::kVersion;
  header.rule_count = u32(rules.size());
  header.rules_offset = u32(sizeof header);
  header.pattern_count = u32(patterns.size());
  header.patterns_offset = header.rules_offset + u32(rules.size() * sizeof(blob::Rule));
  header.condition_count = u32(conditions.size());
  header.conditions_offset = header.patterns_offset + u32(patterns.size() * sizeof(blob::Pattern));
  header.strings_offset = header.conditions_offset + u32(conditions.size() * sizeof(blob::Condition));
  header.strings_size = u32(strings.bytes.size());
  header.total_size = header.strings_offset + header.strings_size;

  auto rebase = [&](blob::StringRef& ref) { ref.offset += header.strings_offset; };
  for (auto& r : rules) {
    rebase(r.id);
    rebase(r.message);
  }
  for (auto& p : patterns) {
    rebase(p.service);
    rebase(p.operation);
  }
  for (auto& c : conditions) rebase(c.glob);

  std::string out;
  out.reserve(header.total_size);
  append(out, header);
  for (const auto& r : rules) append(out, r);
  for (const auto& p : patterns) append(out, p);
  for (const auto& c : conditions) append(out, c);
  out += strings.bytes;
  return out;
}

}  // namespace agentguard::policy
