#define OPENSSL_SUPPRESS_DEPRECATED
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "support/digest.hpp"

namespace agentguard::digest {
namespace {

// RFC 4231 test cases 1 and 6: a short key, and a key longer than SHA-256's 64-byte block (hashed first).
TEST(Digest, HmacMatchesRfc4231ShortKey) {
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Digest, HmacMatchesRfc4231KeyLongerThanABlock) {
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// Our HMAC is built on the low-level SHA-256 (no EVP start-up on the gate's path): it must agree
// with OpenSSL's own HMAC for every key length around the block size, and for empty input.
TEST(Digest, HmacAgreesWithOpenSslAroundTheBlockSize) {
  for (std::size_t key_length : {0, 1, 32, 63, 64, 65, 128}) {
    std::string key(key_length, '\0');
    for (std::size_t i = 0; i < key_length; ++i) key[i] = static_cast<char>(i * 7 + 1);
    for (const std::string& data : {std::string(), std::string("x"), std::string(1000, 'q')}) {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int size = 0;
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), mac, &size);
      EXPECT_EQ(hmac_sha256_hex(key, data), to_hex(mac, size)) << "key length " << key_length;
    }
  }
}

}  // namespace
}  // namespace agentguard::digest
