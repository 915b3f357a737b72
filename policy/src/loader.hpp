#pragma once
// Reads one policy layer (TOML text) into rules, with file:line:col on every error.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml.hpp>

#include "agentguard/api_rules.hpp"
#include "agentguard/plan_rules.hpp"
#include "rule.hpp"
#include "toml_read.hpp"

namespace agentguard::policy::detail {

struct Layer {
  std::string file;
  std::string text;      // as read, so the gate can keep the last good policy
  bool project = false;  // a project's .agentguard.toml: may only tighten
  // The parsed TOML. A layer restored from a snapshot has none until sections() needs it: then
  // `text` (or the built-in default) is parsed once (root_pending), under Policy::Impl's mutex.
  mutable toml::value root;
  mutable bool root_pending = false;
  std::vector<Rule> rules;
  std::vector<std::pair<std::string, Location>> disables;  // rule ids this layer switches off
  std::vector<ApiRuleSpec> api_rules;     // [[api]]; only `id` and `source` when read without API rules
  std::vector<PlanRule> plan_rules;       // [[plan]]
  std::vector<std::string> section_keys;  // which raw sections (notify, api, plan) the layer has
};

inline constexpr const char* kBuiltinFileName = "<built-in default>";

// Throws PolicyError for TOML syntax errors, unknown keys, wrong types, bad globs, duplicate ids
// within the layer, unknown actions and a missing or unsupported `schema`.
Layer parse_layer(std::string_view text, const std::string& file_name);

// Reads the layer's [[api]] and [[plan]] rules into api_rules / plan_rules (throws PolicyError).
// Without `api_rules` only the API rules' ids and locations are read (for `disable` and duplicate
// ids): the gate decides launches, and the API rules are compiled by `agentguard run`.
void parse_rule_sections(Layer& layer, bool api_rules);

}  // namespace agentguard::policy::detail
