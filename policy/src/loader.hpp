#pragma once
// Reads one policy layer (TOML text) into rules, with file:line:col on every error.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml.hpp>

#include "rule.hpp"

namespace agentguard::policy::detail {

struct Layer {
  std::string file;
  std::string text;      // as read, so the gate can keep the last good policy
  bool project = false;  // a project's .agentguard.toml: may only tighten
  toml::value root;
  std::vector<Rule> rules;
  std::vector<std::pair<std::string, Location>> disables;  // rule ids this layer switches off
};

inline constexpr const char* kBuiltinFileName = "<built-in default>";

// Throws PolicyError for TOML syntax errors, unknown keys, wrong types, bad globs, duplicate ids
// within the layer, unknown actions and a missing or unsupported `schema`.
Layer parse_layer(std::string_view text, const std::string& file_name);

Location location_of(const toml::value& value);

}  // namespace agentguard::policy::detail
