#include "agentguard/plan_rules.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "loader.hpp"
#include "toml_read.hpp"

namespace agentguard::policy {

namespace {

const std::set<std::string> kKnownKeys = {"id", "action", "types", "addresses", "changes", "message", "examples"};
const std::set<std::string> kKinds = {"delete", "replace", "forget"};

using detail::fail_at;
using detail::location_in;

std::vector<std::string> string_list(const toml::value& table, const std::string& key, const std::string& file,
                                     bool globs) {
  std::vector<std::string> out;
  if (!table.contains(key)) return out;
  const toml::value& v = table.at(key);
  if (!v.is_array()) fail_at(v, file, "`" + key + "` must be an array of strings");
  for (const toml::value& item : v.as_array()) {
    if (!item.is_string()) fail_at(item, file, "`" + key + "` must be an array of strings");
    std::string s = item.as_string();
    if (globs) {
      const auto open = std::count(s.begin(), s.end(), '[');
      const auto close = std::count(s.begin(), s.end(), ']');
      if (s.empty() || open != close) fail_at(item, file, "bad pattern '" + s + "' in `" + key + "`");
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool any_glob(const std::vector<std::string>& patterns, const std::string& text) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return fnmatch(p.c_str(), text.c_str(), 0) == 0; });
}

bool rule_matches(const PlanRule& rule, const std::string& address, const std::string& type, const std::string& kind) {
  if (!rule.changes.empty() && std::find(rule.changes.begin(), rule.changes.end(), kind) == rule.changes.end())
    return false;
  if (!rule.types.empty() && !any_glob(rule.types, type)) return false;
  if (!rule.addresses.empty() && !any_glob(rule.addresses, address)) return false;
  return true;
}


}  // namespace

std::string destructive_kind(const ResourceChange& change) {
  const auto has = [&](const char* a) {
    return std::find(change.actions.begin(), change.actions.end(), a) != change.actions.end();
  };
  if (has("forget")) return "forget";
  if (has("delete")) return has("create") ? "replace" : "delete";
  return {};
}

std::string type_of_address(const std::string& address) {
  // Walk the dotted parts, skipping "module.NAME" pairs and a leading "data."; the next part is the type.
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;  // inside [..] of an index, dots do not split
  for (char c : address) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == '.' && depth == 0) {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(current);
  size_t i = 0;
  while (i + 1 < parts.size() && parts[i] == "module") i += 2;
  if (i < parts.size() && parts[i] == "data") ++i;
  return i < parts.size() ? parts[i] : std::string();
}

std::string PlanVerdict::summary() const {
  std::string out;
  for (const auto& r : resources) {
    if (!out.empty()) out += ", ";
    out += r.kind + " " + r.change.address;
  }
  return out;
}

std::vector<PlanRule> parse_plan_rules(const toml::value& plan_array, const std::string& file) {
  std::vector<PlanRule> rules;
  if (!plan_array.is_array()) fail_at(plan_array, file, "`plan` must be an array of tables ([[plan]])");
  for (const toml::value& t : plan_array.as_array()) {
    if (!t.is_table()) fail_at(t, file, "each [[plan]] entry must be a table");
    for (const auto& [key, value] : t.as_table())
      if (!kKnownKeys.count(key)) fail_at(value, file, "unknown key `" + key + "` in [[plan]] (known: id, action, types, addresses, changes, message, examples)");
    PlanRule rule;
    rule.where = location_in(t, file);
    if (!t.contains("id") || !t.at("id").is_string() || t.at("id").as_string().str.empty())
      fail_at(t, file, "[[plan]] needs a non-empty string `id`");
    rule.id = t.at("id").as_string();
    if (!t.contains("action")) fail_at(t, file, "[[plan]] " + rule.id + " needs `action`");
    rule.action = detail::action_at(t.at("action"), file);
    rule.types = string_list(t, "types", file, true);
    rule.addresses = string_list(t, "addresses", file, true);
    rule.changes = string_list(t, "changes", file, false);
    for (const auto& c : rule.changes)
      if (!kKinds.count(c)) fail_at(t.at("changes"), file, "unknown change '" + c + "' (delete, replace or forget)");
    if (t.contains("message")) {
      if (!t.at("message").is_string()) fail_at(t.at("message"), file, "`message` must be a string");
      rule.message = t.at("message").as_string();
    }
    if (t.contains("examples")) {
      const toml::value& ex = t.at("examples");
      if (!ex.is_table()) fail_at(ex, file, "`examples` must be a table with `match` and/or `no_match`");
      for (const auto& [key, value] : ex.as_table())
        if (key != "match" && key != "no_match") fail_at(value, file, "unknown key `" + key + "` in examples (match, no_match)");
      rule.examples_match = string_list(ex, "match", file, false);
      rule.examples_no_match = string_list(ex, "no_match", file, false);
    }
    if (rule.types.empty() && rule.addresses.empty())
      fail_at(t, file, "[[plan]] " + rule.id + " must name `types` or `addresses` (use addresses = [\"*\"] for every resource)");
    rules.push_back(std::move(rule));
  }
  return rules;
}

PlanVerdict decide_plan(const std::vector<PlanRule>& rules, const PlanSummary& plan) {
  PlanVerdict verdict;
  for (const ResourceChange& change : plan.changes) {
    const std::string kind = destructive_kind(change);
    if (kind.empty()) continue;
    ResourceVerdict rv;
    rv.change = change;
    rv.kind = kind;
    const std::string type = change.type.empty() ? type_of_address(change.address) : change.type;
    const PlanRule* best = nullptr;
    for (const PlanRule& rule : rules)
      if (rule_matches(rule, change.address, type, kind) && (!best || precedence(rule.action) > precedence(best->action))) best = &rule;
    if (best) {
      rv.action = best->action;
      rv.rule_id = best->id;
      rv.message = best->message;
      rv.source = best->where;
    }
    verdict.resources.push_back(std::move(rv));
  }
  for (const auto& rv : verdict.resources) {
    if (!verdict.deciding || severity(rv.action) > severity(verdict.deciding->action)) verdict.deciding = &rv;
  }
  if (verdict.deciding) verdict.action = verdict.deciding->action;
  return verdict;
}

std::vector<std::string> check_plan_examples(const std::vector<PlanRule>& rules) {
  std::vector<std::string> failures;
  for (const PlanRule& rule : rules) {
    const auto check = [&](const std::string& address, bool want) {
      const bool got = rule_matches(rule, address, type_of_address(address), rule.changes.empty() ? "delete" : rule.changes.front());
      if (got != want)
        failures.push_back(rule.where.to_string() + ": plan rule " + rule.id + ": example '" + address + "' should " +
                           (want ? "match" : "not match"));
    };
    for (const auto& a : rule.examples_match) check(a, true);
    for (const auto& a : rule.examples_no_match) check(a, false);
  }
  return failures;
}

}  // namespace agentguard::policy
