#pragma once
// terraform's option rules the dialect and split_terraform_call share.
#include <string>

namespace agentguard::policy::detail {

// Options that take their value from the next word when written without '=' (Go's flag package).
bool terraform_takes_value(const std::string& name);

}  // namespace agentguard::policy::detail
