// SHA256_Init/Update/Final: OpenSSL's own SHA-256, deprecated in 3.0 in favour of EVP but kept.
// EVP's first digest of a process loads the provider and the OpenSSL config (~5 M instructions,
// more than everything else a gated launch does), and these do not. HMAC still goes through EVP:
// only webhook signing and the notifier use it, never a gated launch's fast path.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "support/digest.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

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
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), digest, &size))
    throw std::runtime_error("HMAC-SHA256 failed (OpenSSL)");
  return to_hex(digest, size);
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
