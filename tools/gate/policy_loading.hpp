#pragma once
// Loading the policy for one launch, with the last good policy as the fallback. Policy edits take
// effect at the next launch; an edit that breaks the policy does not open anything: the last policy
// that loaded stays in force, and the human is told once per broken version. With no good policy
// on record, a broken one refuses every watched launch. In the separated mode there is no last good
// policy (see load_vouched): a broken one always refuses.
#include <optional>
#include <string>

#include "agentguard/policy.hpp"

namespace agentguard::gate {

struct LoadedPolicy {
  policy::Policy policy;
  std::string broken;  // why the files on disk do not load (empty when they do)
};

// Throws policy::PolicyError when the policy is broken and no last good version is on record.
LoadedPolicy load_policy(const policy::LoadOptions& options);

}  // namespace agentguard::gate
