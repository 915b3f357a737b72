#pragma once
// Shell-style glob patterns used throughout the policy: `*` any run of characters (including `/`),
// `?` one character, `[abc]`, `[a-z]`, `[!x]` classes, `\` escapes the next character.
#include <optional>
#include <string>
#include <string_view>

namespace agentguard::policy::detail {

// nullopt when the pattern is valid, otherwise why it is not (e.g. "unclosed '['").
std::optional<std::string> glob_error(std::string_view pattern);

bool glob_match(std::string_view pattern, std::string_view text);

// True when the pattern has no wildcard at all (so it names exactly one string).
bool glob_is_literal(std::string_view pattern);

}  // namespace agentguard::policy::detail
