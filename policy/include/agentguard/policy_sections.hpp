#pragma once
// Raw policy sections owned by other parts of agentguard: the loader accepts `[notify]` and
// `[[api]]` without interpreting them and keeps each layer's value with its source locations.
#include <string>

#include <toml.hpp>

#include "agentguard/policy.hpp"

namespace agentguard::policy {

struct RawSection {
  std::string file;   // the layer's file name ("<built-in default>" for the embedded policy)
  toml::value value;  // as written; value.location() gives file:line:col for error messages
};

}  // namespace agentguard::policy
