// SHA256_Init/Update/Final: OpenSSL's own SHA-256, deprecated in 3.0 in favour of EVP but kept.
// EVP's first digest of a process loads the provider and the OpenSSL config (~5 M instructions,
// more than everything else a gated launch does), and these do not. HMAC is built on them too
// (RFC 2104): every gated launch checks its policy snapshot's MAC, and OpenSSL's HMAC() would
// fetch the EVP provider and read openssl.cnf first (~3 ms per launch, measured).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "support/digest.hpp"

#include <cstring>

namespace agentguard::digest {

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(digits[bytes[i] >> 4]);
    hex.push_back(digits[bytes[i] & 0x0f]);
  }
  return hex;
}

std::string sha256_hex(std::string_view data) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &ctx);
  return to_hex(digest, sizeof digest);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  constexpr std::size_t kBlock = SHA256_CBLOCK;
  unsigned char block_key[kBlock] = {};
  if (key.size() > kBlock) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block_key);
  } else {
    std::memcpy(block_key, key.data(), key.size());
  }
  unsigned char pad[kBlock];
  unsigned char inner[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block_key[i] ^ 0x36;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad, kBlock);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(inner, &ctx);
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block_key[i] ^ 0x5c;
  unsigned char mac[SHA256_DIGEST_LENGTH];
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad, kBlock);
  SHA256_Update(&ctx, inner, sizeof inner);
  SHA256_Final(mac, &ctx);
  return to_hex(mac, sizeof mac);
}

FieldHash::FieldHash() { SHA256_Init(&ctx_); }

FieldHash& FieldHash::field(std::string_view data) {
  const std::string length = std::to_string(data.size()) + ":";
  SHA256_Update(&ctx_, length.data(), length.size());
  SHA256_Update(&ctx_, data.data(), data.size());
  return *this;
}

std::string FieldHash::hex() {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &ctx_);
  return to_hex(digest, sizeof digest);
}

}  // namespace agentguard::digest
