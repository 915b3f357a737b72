#pragma once
// SHA-256 and HMAC-SHA256 as lowercase hex: the one implementation every part of agentguard uses
// (audit chain, policy snapshot keys, sealed plans, webhook signatures).
#include <openssl/sha.h>

#include <string>
#include <string_view>

namespace agentguard::digest {

std::string to_hex(const unsigned char* bytes, std::size_t size);

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Incremental SHA-256 of length-prefixed fields, so no two different sequences of fields hash the
// same bytes (snapshot and last-good keys).
class FieldHash {
 public:
  FieldHash();
  FieldHash& field(std::string_view data);
  std::string hex();

 private:
  SHA256_CTX ctx_;
};

}  // namespace agentguard::digest
