// Parsing `[[api]]` tables into ApiRuleSpec, with file:line:col on every error.
#include <set>

#include "agentguard/api_rules.hpp"
#include "core/http/aws_classify.hpp"
#include "loader.hpp"
#include "toml_read.hpp"

namespace agentguard::policy {

namespace {

namespace http = core::http;

Location where(const toml::value& v, const std::string& file) { return detail::location_in(v, file); }
[[noreturn]] void fail(const toml::value& v, const std::string& file, const std::string& what) { detail::fail_at(v, file, what); }
using detail::string_at;
using detail::strings_at;

bool valid_service_pattern(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '*' || c == '?'))
      return false;
  return true;
}

bool valid_operation_pattern(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
          c == '*' || c == '?'))
      return false;
  return true;
}

std::string known_facts() {
  std::string list;
  for (std::size_t i = 0; i < http::kFactCount; ++i) {
    if (!list.empty()) list += ", ";
    list += http::fact_name(static_cast<http::Fact>(i));
  }
  return list;
}

std::string scalar_text(const toml::value& v, const std::string& file, const std::string& key) {
  if (v.is_string()) return v.as_string().str;
  if (v.is_boolean()) return v.as_boolean() ? "true" : "false";
  if (v.is_integer()) return std::to_string(v.as_integer());
  fail(v, file, "condition `" + key + "` must be a string, boolean, integer or an array of them");
}

std::vector<ApiCondition> conditions_of(const toml::value& v, const std::string& file, const std::string& key) {
  if (!v.is_table()) fail(v, file, "`" + key + "` must be a table of fact = value, e.g. { DeletionProtection = false }");
  std::vector<ApiCondition> out;
  for (const auto& [name, value] : v.as_table()) {
    http::Fact fact;
    if (!http::fact_from_name(http::Text(name.data(), name.size()), &fact))
      fail(value, file, "unknown fact `" + name + "` in `" + key + "`; known facts: " + known_facts());
    ApiCondition condition;
    condition.fact = http::fact_name(fact);
    condition.where = where(value, file);
    if (value.is_array()) {
      if (value.as_array().empty()) fail(value, file, "condition `" + name + "` has no values");
      for (const auto& item : value.as_array()) condition.globs.push_back(scalar_text(item, file, name));
    } else {
      condition.globs.push_back(scalar_text(value, file, name));
    }
    out.push_back(std::move(condition));
  }
  return out;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

}  // namespace

std::vector<ApiRuleSpec> parse_api_rules(const toml::value& api_array, const std::string& file) {
  if (!api_array.is_array()) fail(api_array, file, "`api` must be an array of tables ([[api]])");
  std::vector<ApiRuleSpec> rules;
  std::set<std::string> ids;
  for (const auto& table : api_array.as_array()) {
    if (!table.is_table()) fail(table, file, "each [[api]] entry must be a table");
    ApiRuleSpec rule;
    rule.source = where(table, file);
    const auto& t = table.as_table();
    for (const auto& [key, value] : t) {
      if (key == "id") rule.id = string_at(value, file, key);
      else if (key == "action") rule.action = detail::action_at(value, file);
      else if (key == "match") rule.match = strings_at(value, file, key);
      else if (key == "except") rule.except = strings_at(value, file, key);
      else if (key == "message") rule.message = string_at(value, file, key);
      else if (key == "when") rule.when = conditions_of(value, file, key);
      else if (key == "unless") rule.unless = conditions_of(value, file, key);
      else if (key == "examples") rule.examples = strings_at(value, file, key);
      else if (key == "not_examples") rule.not_examples = strings_at(value, file, key);
      else
        fail(value, file,
             "unknown key `" + key + "` in [[api]] (known: id, action, match, except, when, unless, message, examples, not_examples)");
    }
    if (!t.count("id")) fail(table, file, "[[api]] rule without `id`");
    if (!valid_id(rule.id)) fail(t.at("id"), file, "rule id `" + rule.id + "` must be letters, digits, '-', '_' or '.'");
    if (!ids.insert(rule.id).second) fail(t.at("id"), file, "duplicate rule id `" + rule.id + "`");
    if (!t.count("action")) fail(table, file, "rule " + rule.id + ": missing `action`");
    if (!t.count("match") || rule.match.empty()) fail(table, file, "rule " + rule.id + ": missing `match` (e.g. \"rds:Delete*\")");
    auto check_patterns = [&](const std::vector<std::string>& list, const char* key) {
      for (const auto& pattern : list) {
        auto colon = pattern.find(':');
        bool ok = pattern == "*" || (colon != std::string::npos && pattern.find(':', colon + 1) == std::string::npos &&
                                     valid_service_pattern(pattern.substr(0, colon)) &&
                                     valid_operation_pattern(pattern.substr(colon + 1)));
        if (!ok)
          fail(t.at(key), file,
               "rule " + rule.id + ": `" + pattern + "` is not an IAM action pattern like \"rds:Delete*\" or \"*:Delete*\"");
      }
    };
    check_patterns(rule.match, "match");
    if (t.count("except")) check_patterns(rule.except, "except");
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::vector<ApiRuleSpec> parse_api_rule_ids(const toml::value& api_array, const std::string& file) {
  if (!api_array.is_array()) fail(api_array, file, "`api` must be an array of tables ([[api]])");
  std::vector<ApiRuleSpec> rules;
  std::set<std::string> ids;
  for (const auto& table : api_array.as_array()) {
    if (!table.is_table()) fail(table, file, "each [[api]] entry must be a table");
    const auto& t = table.as_table();
    const auto id = t.find("id");
    if (id == t.end()) fail(table, file, "[[api]] rule without `id`");
    ApiRuleSpec rule;
    rule.id = string_at(id->second, file, "id");
    if (!valid_id(rule.id)) fail(id->second, file, "rule id `" + rule.id + "` must be letters, digits, '-', '_' or '.'");
    if (!ids.insert(rule.id).second) fail(id->second, file, "duplicate rule id `" + rule.id + "`");
    rule.source = where(table, file);
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace agentguard::policy
