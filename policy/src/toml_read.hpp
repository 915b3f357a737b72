#pragma once
// Reading the values of one policy layer, with the layer's file:line:col on every error. One set
// for every rule kind ([[rule]], [[api]], [[plan]], [notify]), so a wrong type reads the same
// wherever it is written.
#include <string>
#include <vector>

#include <toml.hpp>

#include "agentguard/model.hpp"

namespace agentguard::policy::detail {

Location location_of(const toml::value& value);

// Where `value` is written, named as `file` when one is given (a layer's [[api]] and [[plan]]
// tables are read under the layer's file name).
inline Location location_in(const toml::value& value, const std::string& file) {
  Location at = location_of(value);
  if (!file.empty()) at.file = file;
  return at;
}

[[noreturn]] inline void fail_at(const toml::value& value, const std::string& file, const std::string& what) {
  throw PolicyError(location_in(value, file), what);
}

inline std::string string_at(const toml::value& value, const std::string& file, const std::string& key) {
  if (!value.is_string()) fail_at(value, file, "`" + key + "` must be a string");
  return value.as_string().str;
}

// A string or an array of strings.
inline std::vector<std::string> strings_at(const toml::value& value, const std::string& file, const std::string& key) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.as_string().str);
    return out;
  }
  if (!value.is_array()) fail_at(value, file, "`" + key + "` must be a string or an array of strings");
  for (const auto& item : value.as_array()) out.push_back(string_at(item, file, key));
  return out;
}

// `action = "..."` of any rule kind.
inline Action action_at(const toml::value& value, const std::string& file) {
  const std::string name = string_at(value, file, "action");
  if (auto action = action_from_string(name)) return *action;
  fail_at(value, file, "unknown action \"" + name + "\" (expected deny, allow, ask or log)");
}

}  // namespace agentguard::policy::detail
