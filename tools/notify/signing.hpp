#pragma once
// Request signing: X-Agentguard-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>,
// with the timestamp (unix seconds) sent as X-Agentguard-Timestamp.
#include <cstdint>
#include <string>
#include <vector>

namespace agentguard::notify {
std::string signature_v1(const std::string& secret, int64_t timestamp, const std::string& body);
// The headers of one POST: content type, event id and, when secret is non-empty, the signature.
std::vector<std::string> request_headers(const std::string& event_id, const std::string& secret, int64_t timestamp,
                                         const std::string& body);
}  // namespace agentguard::notify
