// The reassembler: real botocore requests split at every byte, keep-alive, pipelining, chunked
// bodies, Expect: 100-continue, large bodies and malformed input.
#include <gtest/gtest.h>

#include <string>

#include "http_captured.hpp"
#include "http_test_hook.hpp"

namespace {

using http_test::SimulatedHook;
namespace http = agentguard::core::http;

std::string joined(const captured::Capture& c) {
  std::string s;
  for (auto w : c.writes) s.append(w);
  return s;
}

std::string op(const http::Classification& c) { return std::string(c.service) + ":" + c.operation; }

TEST(HttpStream, CapturedRequestsPassThroughUnchangedAsWritten) {
  for (const auto& capture : captured::all()) {
    SimulatedHook hook;
    for (auto w : capture.writes) hook.write(w);
    EXPECT_FALSE(hook.failed) << capture.name << ": " << hook.stream.error_reason();
    EXPECT_EQ(hook.wire, joined(capture)) << capture.name;
    ASSERT_EQ(hook.decisions.size(), 1u) << capture.name;
    EXPECT_NE(hook.decisions[0].operation[0], '\0') << capture.name;
  }
}

TEST(HttpStream, EveryTwoWaySplitGivesTheSameDecisionAndBytes) {
  for (const auto& capture : captured::all()) {
    std::string whole = joined(capture);
    if (whole.size() > 4096) continue;  // the large upload has its own test
    SimulatedHook reference;
    reference.write(whole);
    ASSERT_EQ(reference.decisions.size(), 1u) << capture.name;
    std::string expected = op(reference.decisions[0]);
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
      SimulatedHook hook;
      hook.write(std::string_view(whole).substr(0, cut));
      hook.write(std::string_view(whole).substr(cut));
      ASSERT_FALSE(hook.failed) << capture.name << " cut " << cut;
      ASSERT_EQ(hook.decisions.size(), 1u) << capture.name << " cut " << cut;
      ASSERT_EQ(op(hook.decisions[0]), expected) << capture.name << " cut " << cut;
      ASSERT_EQ(hook.wire, whole) << capture.name << " cut " << cut;
    }
  }
}

TEST(HttpStream, HeadersAreHeldUntilTheQueryBodyArrives) {
  const auto& capture = captured::all().front();  // rds DeleteDBInstance: headers, then body
  ASSERT_EQ(std::string(capture.name), "rds_delete_db_instance");
  ASSERT_EQ(capture.writes.size(), 2u);
  SimulatedHook hook;
  EXPECT_EQ(hook.write(capture.writes[0]), capture.writes[0].size());  // the app is told "written"
  EXPECT_TRUE(hook.wire.empty());      // but nothing left the process
  EXPECT_TRUE(hook.decisions.empty());
  hook.write(capture.writes[1]);
  ASSERT_EQ(hook.decisions.size(), 1u);
  EXPECT_EQ(op(hook.decisions[0]), "rds:DeleteDBInstance");
}

TEST(HttpStream, KeepAliveAndPipeliningOneByteAtATime) {
  std::string all;
  std::size_t count = 0;
  for (const auto& capture : captured::all()) {
    std::string whole = joined(capture);
    if (whole.size() > 4096) continue;
    all += whole;
    ++count;
  }
  SimulatedHook pipelined;
  pipelined.write(all);
  EXPECT_EQ(pipelined.decisions.size(), count);
  EXPECT_EQ(pipelined.wire, all);

  SimulatedHook bytewise;
  for (char c : all) bytewise.write(std::string_view(&c, 1));
  EXPECT_EQ(bytewise.decisions.size(), count);
  EXPECT_EQ(bytewise.wire, all);
  for (std::size_t i = 0; i < count; ++i) EXPECT_EQ(op(bytewise.decisions[i]), op(pipelined.decisions[i]));
}

TEST(HttpStream, ADeniedRequestNeverReachesTheWireNorDoesAnythingAfterIt) {
  std::string describe, destroy;
  for (const auto& capture : captured::all()) {
    if (std::string(capture.name) == "rds_describe") describe = joined(capture);
    if (std::string(capture.name) == "rds_delete_db_instance") destroy = joined(capture);
  }
  SimulatedHook hook;
  hook.allow = [](const http::Classification& c, const http::Request&) {
    return std::string(c.operation).rfind("Delete", 0) != 0;
  };
  hook.write(describe + destroy + describe);
  EXPECT_TRUE(hook.refused);
  EXPECT_EQ(hook.wire, describe);
  EXPECT_EQ(hook.stream.offer("x", 1).kind, http::StepKind::refused);
}

std::string chunked_request(const std::string& body, std::size_t chunk) {
  std::string s =
      "POST / HTTP/1.1\r\nHost: rds.us-east-1.amazonaws.com\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\n"
      "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=0\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (std::size_t i = 0; i < body.size(); i += chunk) {
    std::string piece = body.substr(i, chunk);
    char size[32];
    std::snprintf(size, sizeof size, "%zx;ext=1\r\n", piece.size());
    s += size + piece + "\r\n";
  }
  s += "0\r\nx-amz-checksum-crc32: AAAA\r\n\r\n";
  return s;
}

TEST(HttpStream, ChunkedBodiesAreDecodedForTheDecision) {
  std::string body = "Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=prod&SkipFinalSnapshot=true";
  for (std::size_t chunk : {1u, 3u, 10u, 200u}) {
    std::string req = chunked_request(body, chunk);
    for (std::size_t cut = 0; cut <= req.size(); cut += 5) {
      SimulatedHook hook;
      hook.write(std::string_view(req).substr(0, cut));
      hook.write(std::string_view(req).substr(cut));
      ASSERT_FALSE(hook.failed) << hook.stream.error_reason();
      ASSERT_EQ(hook.decisions.size(), 1u);
      EXPECT_EQ(op(hook.decisions[0]), "rds:DeleteDBInstance");
      EXPECT_STREQ(hook.decisions[0].fact(http::Fact::SkipFinalSnapshot).value, "true");
      EXPECT_EQ(hook.wire, req);
    }
  }
}

TEST(HttpStream, ExpectContinueIsDecidedOnTheHeadersAndTheBodyStreamsThrough) {
  for (const auto& capture : captured::all()) {
    if (std::string(capture.name) != "s3_put_object") continue;
    std::string whole = joined(capture);
    std::size_t head = whole.find("\r\n\r\n") + 4;
    SimulatedHook hook;
    hook.write(std::string_view(whole).substr(0, head));
    ASSERT_EQ(hook.decisions.size(), 1u);  // decided before the body exists
    EXPECT_EQ(op(hook.decisions[0]), "s3:PutObject");
    EXPECT_STREQ(hook.decisions[0].fact(http::Fact::Bucket).value, "my-bucket");
    EXPECT_EQ(hook.wire.size(), head);
    hook.write(std::string_view(whole).substr(head));
    EXPECT_EQ(hook.wire, whole);
    return;
  }
  FAIL() << "capture missing";
}

TEST(HttpStream, QueryWithExpectContinueWaitsForTheBody) {
  std::string body = "Action=DeleteDBCluster&Version=2014-10-31&DBClusterIdentifier=x";
  std::string req =
      "POST / HTTP/1.1\r\nHost: rds.us-east-1.amazonaws.com\r\nExpect: 100-continue\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  SimulatedHook hook;
  hook.write(req);
  EXPECT_TRUE(hook.decisions.empty());  // uncertain on headers alone: keep holding
  EXPECT_TRUE(hook.wire.empty());
  hook.write(body);
  ASSERT_EQ(hook.decisions.size(), 1u);
  EXPECT_EQ(op(hook.decisions[0]), "rds:DeleteDBCluster");
}

TEST(HttpStream, LargeBodiesAreDecidedOnAPrefixAndPassWithoutCopies) {
  std::string body(1 << 20, 'z');
  body.replace(0, 30, "Action=DeleteQueue&QueueUrl=q&");
  std::string req =
      "POST / HTTP/1.1\r\nHost: sqs.us-east-1.amazonaws.com\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  std::string next = "GET /?Action=ListQueues HTTP/1.1\r\nHost: sqs.us-east-1.amazonaws.com\r\n\r\n";
  SimulatedHook hook(64 * 1024, 16 * 1024);
  for (std::size_t i = 0; i < body.size(); i += 65536) {
    if (i == 0) hook.write(req);
    hook.write(std::string_view(body).substr(i, 65536));
  }
  hook.write(next);
  ASSERT_EQ(hook.decisions.size(), 2u);
  EXPECT_EQ(op(hook.decisions[0]), "sqs:DeleteQueue");
  EXPECT_FALSE(hook.decisions[0].facts_complete);
  EXPECT_LE(hook.wire_size_at_decision[0], 0u);
  EXPECT_EQ(op(hook.decisions[1]), "sqs:ListQueues");
  EXPECT_EQ(hook.wire, req + body + next);
}

TEST(HttpStream, BodiesThatFitAreHeldWholeSoLateFactsAreSeen) {
  std::string body = "Action=ModifyDBInstance&DBInstanceIdentifier=prod";
  for (int i = 1; body.size() < 40000; ++i) body += "&Tags.member." + std::to_string(i) + ".Key=k";
  body += "&DeletionProtection=false";
  std::string req =
      "POST / HTTP/1.1\r\nHost: rds.us-east-1.amazonaws.com\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  SimulatedHook hook;
  for (std::size_t i = 0; i < req.size(); i += 1000) hook.write(std::string_view(req).substr(i, 1000));
  ASSERT_EQ(hook.decisions.size(), 1u);
  EXPECT_TRUE(hook.decisions[0].facts_complete);
  EXPECT_STREQ(hook.decisions[0].fact(http::Fact::DeletionProtection).value, "false");
  EXPECT_EQ(hook.wire, req);
}

TEST(HttpStream, MalformedOrAmbiguousFramingIsAnError) {
  const char* bad[] = {
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length : 3\r\n\r\nabc",
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST / HTTP/1.1\r\n folded: x\r\n\r\n",
      "GET\r\n\r\n",
  };
  for (const char* b : bad) {
    SimulatedHook hook;
    hook.write(b);
    EXPECT_TRUE(hook.failed) << b;
    EXPECT_TRUE(hook.wire.empty()) << b;
  }
  SimulatedHook huge(4096, 1024);
  huge.write("GET / HTTP/1.1\r\nX: " + std::string(5000, 'a') + "\r\n\r\n");
  EXPECT_TRUE(huge.failed);
  EXPECT_STREQ(huge.stream.error_reason(), "header block larger than the buffer");
}

TEST(HttpStream, NonHttpProtocolsFailAtOnceAndKeepTheirBytes) {
  const std::string binary("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);  // a PostgreSQL SSLRequest
  std::vector<char> buffer(8192);
  http::RequestStream s;
  ASSERT_TRUE(s.init(buffer.data(), buffer.size(), 1024));
  http::Step step = s.offer(binary.data(), binary.size());
  EXPECT_EQ(step.kind, http::StepKind::error);
  EXPECT_EQ(std::string(s.held_bytes().data, s.held_bytes().size), binary);

  ASSERT_TRUE(s.init(buffer.data(), buffer.size(), 1024));
  EXPECT_EQ(s.offer("get / HTTP/1.1", 14).kind, http::StepKind::error);  // methods are upper case
  ASSERT_TRUE(s.init(buffer.data(), buffer.size(), 1024));
  EXPECT_EQ(s.offer("POSTPOSTPOSTPOSTPOSTPOST", 24).kind, http::StepKind::error);
  ASSERT_TRUE(s.init(buffer.data(), buffer.size(), 1024));
  EXPECT_EQ(s.offer("PO", 2).kind, http::StepKind::hold);  // a request line still arriving
}

TEST(HttpStream, FlushFirstUntilHeldBytesAreOut) {
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  std::vector<char> buffer(8192);
  http::RequestStream s;
  ASSERT_TRUE(s.init(buffer.data(), buffer.size(), 1024));
  http::Step step = s.offer(req.data(), req.size());
  ASSERT_EQ(step.kind, http::StepKind::decide);
  s.allow();
  EXPECT_EQ(s.pending().size, req.size());
  EXPECT_EQ(s.offer(req.data(), req.size()).kind, http::StepKind::flush_first);
  s.flushed(req.size() - 1);
  EXPECT_EQ(s.offer(req.data(), req.size()).kind, http::StepKind::flush_first);
  s.flushed(1);
  EXPECT_EQ(s.offer(req.data(), req.size()).kind, http::StepKind::decide);
}

}  // namespace
