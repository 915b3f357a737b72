#pragma once
// Decides a classified AWS request against the compiled API rules (see api_blob.hpp).
// Allocation-free; the preload calls it in the SSL_write path.
//
// Precedence as for exec rules (policy::precedence): a higher blob action code wins. Deny/ask rules fail closed:
// an uncertain operation matches any operation of the rule's services, and a condition on a fact
// that is ambiguous (or missing when only part of the body was seen) holds. Allow rules and
// `unless` exceptions need the fact plainly present and matching.
#include <cstddef>
#include <cstdint>

#include "core/http/aws_classify.hpp"
#include "core/http/text.hpp"

namespace agentguard::core::http {

enum class ApiAction : std::uint8_t { none = 0, log = 1, ask = 2, allow = 3, deny = 4 };
const char* to_string(ApiAction action);

struct ApiDecision {
  ApiAction action = ApiAction::none;
  std::int32_t rule_index = -1;  // -1: no rule matched
  Text rule_id;                  // views into the blob
  Text message;
  bool invalid_rules = false;    // the blob failed validation: action is deny (fail closed)
};

bool api_rules_valid(const void* blob, std::size_t size);
std::size_t api_rule_count(const void* blob, std::size_t size);
// Whether rule `index` matches (for examples and `explain`); false for an invalid blob.
bool api_rule_matches(const void* blob, std::size_t size, std::size_t index, const Classification& request);

ApiDecision decide_api(const void* blob, std::size_t size, const Classification& request);

// The same decision without validating the blob again (about 5 k instructions per call): only
// for a blob that passed api_rules_valid() and cannot change afterwards, such as the caller's own
// copy in its memory. (A mapped file can: the preload and the gate use decide_api.)
ApiDecision decide_api_validated(const void* blob, std::size_t size, const Classification& request);

}  // namespace agentguard::core::http
