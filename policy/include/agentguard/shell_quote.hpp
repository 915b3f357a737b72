#pragma once
// Words as a POSIX shell would need them typed: what a human reads in a refusal, a notification, an
// explain trace or `agentguard env`, and can paste back. One rule everywhere: a word made only of characters no
// shell treats specially stays as it is; anything else is single-quoted, with ' written as '\''.
// (Glob characters * ? [ ] are not plain: pasted unquoted they could match files.)
#include <string>
#include <string_view>
#include <vector>

namespace agentguard::policy {

std::string shell_quote(std::string_view word);
// The words joined by spaces, each quoted as above.
std::string shell_quote(const std::vector<std::string>& words);

}  // namespace agentguard::policy
