#pragma once
// SHA-256 and HMAC-SHA256 (OpenSSL libcrypto), as lowercase hex.
#include <string>
#include <string_view>

namespace agentguard::events {
std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
}  // namespace agentguard::events
