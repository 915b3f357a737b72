#pragma once
// The answer a refused request gets instead of reaching AWS: a complete HTTP/1.1 response in the
// service's own protocol, so the SDK raises its normal access-denied error and does not retry.
// Allocation-free; written into a caller buffer. Always `Content-Length` and `Connection: close`.
#include <cstddef>

#include "core/http/aws_classify.hpp"
#include "core/http/text.hpp"

namespace agentguard::core::http {

// Writes the reply into out[0..cap). Returns its length, or 0 if cap is too small (2 KiB plus
// the message length is always enough). `rule_id`/`message` come from the ApiDecision.
std::size_t build_error_reply(const Classification& request, Text rule_id, Text message, char* out, std::size_t cap);

// The human sentence inside the reply, for logs and tests: "Blocked by agentguard rule <id>: <message>
// The refusal is recorded for a human; ask them to run it."
std::size_t error_message_text(const Classification& request, Text rule_id, Text message, char* out, std::size_t cap);

}  // namespace agentguard::core::http
