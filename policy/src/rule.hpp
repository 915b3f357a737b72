#pragma once
// The policy model after loading: rules with their match conditions, where they were written,
// and the raw sections other parts of agentguard read ([notify], [[api]]).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::policy::detail {

// All present conditions must hold; inside a list, any one entry is enough.
struct Match {
  std::vector<std::string> programs;               // identity globs
  std::vector<std::vector<std::string>> commands;  // alternatives: word globs matched at the start of the words
  std::vector<std::string> flags;                  // "name-glob" or "name-glob=value-glob"
  std::vector<std::pair<std::string, std::string>> env;  // NAME -> value glob (the variable must be set)
  std::optional<std::string> cwd;                  // glob on the directory the tool acts on
  std::optional<std::string> plan;                 // "deletes": the saved plan applied deletes or forgets
  Location where;
};

struct Example {
  std::string line;
  // Where it is written, computed only when reported: toml11 finds a line number by counting
  // from the top of the file, and the gate loads every example on every launch.
  std::function<Location()> where;
};

struct Rule {
  std::string id;
  Action action = Action::deny;
  std::string message;
  std::string description;
  Location where;
  Match match;
  std::vector<Match> unless;
  std::vector<Example> must_match;
  std::vector<Example> must_not_match;
};

}  // namespace agentguard::policy::detail
