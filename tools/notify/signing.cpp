#include "notify/signing.hpp"

#include "support/digest.hpp"

namespace agentguard::notify {

std::string signature_v1(const std::string& secret, int64_t timestamp, const std::string& body) {
  return "v1=" + digest::hmac_sha256_hex(secret, std::to_string(timestamp) + "." + body);
}

std::vector<std::string> request_headers(const std::string& event_id, const std::string& secret, int64_t timestamp,
                                         const std::string& body) {
  std::vector<std::string> headers = {"Content-Type: application/json", "User-Agent: agentguard",
                                      "X-Agentguard-Event-Id: " + event_id};
  if (!secret.empty()) {
    headers.push_back("X-Agentguard-Timestamp: " + std::to_string(timestamp));
    headers.push_back("X-Agentguard-Signature: " + signature_v1(secret, timestamp, body));
  }
  return headers;
}

}  // namespace agentguard::notify
