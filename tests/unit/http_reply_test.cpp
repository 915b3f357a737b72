// Error replies: status, headers, exact Content-Length, escaping and the CBOR encoding.
#include <gtest/gtest.h>

#include <string>

#include "agentguard/api_request.hpp"
#include "core/http/error_reply.hpp"

namespace {

namespace http = agentguard::core::http;

struct Reply {
  std::string status;
  std::string head;
  std::string body;
};

Reply reply_for(const http::Classification& c, const std::string& id, const std::string& message) {
  char out[8192];
  std::size_t n = http::build_error_reply(c, http::Text(id.data(), id.size()), http::Text(message.data(), message.size()), out,
                                          sizeof out);
  EXPECT_GT(n, 0u);
  std::string s(out, n);
  auto end = s.find("\r\n\r\n");
  Reply r{s.substr(0, s.find("\r\n")), s.substr(0, end + 2), s.substr(end + 4)};
  auto cl = r.head.find("Content-Length: ");
  EXPECT_NE(cl, std::string::npos);
  EXPECT_EQ(std::stoul(r.head.substr(cl + 16)), r.body.size());
  EXPECT_NE(r.head.find("\r\nConnection: close\r\n"), std::string::npos);
  return r;
}

http::Classification with_protocol(http::Protocol p, const char* service = "rds") {
  auto c = agentguard::policy::classification_from_call(std::string(service) + ":DeleteThing");
  c.protocol = p;
  return c;
}

TEST(HttpReply, EachProtocolGetsItsOwnShape) {
  auto query = reply_for(with_protocol(http::Protocol::query), "rds-delete", "DeleteDBInstance deletes data.");
  EXPECT_EQ(query.status, "HTTP/1.1 403 Forbidden");
  EXPECT_NE(query.body.find("<Code>AccessDenied</Code><Message>Blocked by agentguard rule rds-delete: DeleteDBInstance "
                            "deletes data. The refusal is recorded for a human; ask them to run it.</Message>"),
            std::string::npos);

  auto ec2 = reply_for(with_protocol(http::Protocol::ec2, "ec2"), "x", "m");
  EXPECT_NE(ec2.body.find("<Response><Errors><Error><Code>UnauthorizedOperation</Code>"), std::string::npos);

  auto json = reply_for(with_protocol(http::Protocol::json, "dynamodb"), "x", "m");
  EXPECT_EQ(json.status, "HTTP/1.1 400 Bad Request");
  EXPECT_NE(json.head.find("Content-Type: application/x-amz-json-1.1"), std::string::npos);
  EXPECT_EQ(json.body.rfind("{\"__type\":\"AccessDeniedException\",\"message\":\"Blocked by", 0), 0u);

  auto rest_json = reply_for(with_protocol(http::Protocol::rest_json, "lambda"), "x", "m");
  EXPECT_NE(rest_json.head.find("x-amzn-ErrorType: AccessDeniedException\r\n"), std::string::npos);

  auto s3 = reply_for(with_protocol(http::Protocol::rest_xml, "s3"), "x", "m");
  EXPECT_NE(s3.body.find("<Error><Code>AccessDenied</Code>"), std::string::npos);
  auto route53 = reply_for(with_protocol(http::Protocol::rest_xml, "route53"), "x", "m");
  EXPECT_NE(route53.body.find("<ErrorResponse"), std::string::npos);

  auto cbor = reply_for(with_protocol(http::Protocol::rpc_v2_cbor, "cloudwatch"), "x", "m");
  EXPECT_NE(cbor.head.find("Smithy-Protocol: rpc-v2-cbor\r\n"), std::string::npos);
  ASSERT_GT(cbor.body.size(), 40u);
  EXPECT_EQ(static_cast<unsigned char>(cbor.body[0]), 0xa2);  // a map of two
  EXPECT_EQ(cbor.body.substr(1, 7), "\x66__type");
  EXPECT_EQ(cbor.body.substr(8, 22), "\x75" "AccessDeniedException");
  EXPECT_EQ(cbor.body.substr(30, 8), "\x67message");
  EXPECT_EQ(static_cast<unsigned char>(cbor.body[38]), 0x78);  // text, one-byte length
  EXPECT_EQ(static_cast<unsigned char>(cbor.body[39]), cbor.body.size() - 40);
}

TEST(HttpReply, MessagesAreEscapedForTheirFormat) {
  auto xml = reply_for(with_protocol(http::Protocol::query), "id", "a <b> & \"c\"");
  EXPECT_NE(xml.body.find("a &lt;b&gt; &amp; &quot;c&quot;"), std::string::npos);
  auto json = reply_for(with_protocol(http::Protocol::json), "id", "quote \" back \\ ctl \x01");
  EXPECT_NE(json.body.find("quote \\\" back \\\\ ctl  "), std::string::npos);
}

TEST(HttpReply, EmptyMessageNamesTheCall) {
  auto r = reply_for(with_protocol(http::Protocol::query), "rds-delete", "");
  EXPECT_NE(r.body.find("Blocked by agentguard rule rds-delete: rds:DeleteThing is not allowed. The refusal is recorded"), std::string::npos);
}

TEST(HttpReply, TooSmallABufferWritesNothingUsable) {
  auto c = with_protocol(http::Protocol::query);
  char out[64];
  EXPECT_EQ(http::build_error_reply(c, http::Text("id"), http::Text("m"), out, sizeof out), 0u);
  std::string long_message(5000, 'x');
  char big[4096];
  std::size_t n = http::build_error_reply(c, http::Text("id"), http::Text(long_message.data(), long_message.size()), big, sizeof big);
  EXPECT_GT(n, 0u);  // the sentence is capped so the reply still fits
}

}  // namespace
