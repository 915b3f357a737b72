#include <gtest/gtest.h>

#include "support/digest.hpp"
#include "notify/signing.hpp"

namespace agentguard::notify {
namespace {

TEST(NotifySigning, HmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(digest::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(NotifySigning, SignatureCoversTimestampDotBody) {
  EXPECT_EQ(signature_v1("Jefe", 1700000000, "{}"), "v1=" + digest::hmac_sha256_hex("Jefe", "1700000000.{}"));
  EXPECT_NE(signature_v1("Jefe", 1700000001, "{}"), signature_v1("Jefe", 1700000000, "{}"));
}

TEST(NotifySigning, HeadersSignedOnlyWithASecret) {
  auto unsigned_headers = request_headers("ev_1", "", 1700000000, "{}");
  for (const auto& header : unsigned_headers) EXPECT_EQ(header.find("X-Agentguard-Signature"), std::string::npos);
  EXPECT_NE(std::find(unsigned_headers.begin(), unsigned_headers.end(), "X-Agentguard-Event-Id: ev_1"), unsigned_headers.end());

  auto signed_headers = request_headers("ev_1", "Jefe", 1700000000, "{}");
  EXPECT_NE(std::find(signed_headers.begin(), signed_headers.end(), "X-Agentguard-Timestamp: 1700000000"), signed_headers.end());
  EXPECT_NE(std::find(signed_headers.begin(), signed_headers.end(),
                      "X-Agentguard-Signature: " + signature_v1("Jefe", 1700000000, "{}")),
            signed_headers.end());
}

}  // namespace
}  // namespace agentguard::notify
