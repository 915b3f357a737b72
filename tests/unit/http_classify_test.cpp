// The AWS classifier: captured botocore requests for each protocol, S3 addressing and
// subresources, credential scopes, and the facts that switch protections off.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "agentguard/api_request.hpp"
#include "http_captured.hpp"

namespace {

namespace http = agentguard::core::http;
using agentguard::policy::RawHttpRequest;

std::string op(const http::Classification& c) { return std::string(c.service) + ":" + c.operation; }

struct Expected {
  const char* call;
  http::Protocol protocol;
  std::map<http::Fact, std::string> facts;
};

TEST(HttpClassify, CapturedBotocoreRequests) {
  using F = http::Fact;
  using P = http::Protocol;
  const std::map<std::string, Expected> expected = {
      {"rds_delete_db_instance", {"rds:DeleteDBInstance", P::query, {{F::SkipFinalSnapshot, "true"}}}},
      {"rds_modify_protection_off", {"rds:ModifyDBInstance", P::query, {{F::DeletionProtection, "false"}}}},
      {"rds_describe", {"rds:DescribeDBInstances", P::query, {}}},
      {"ec2_terminate", {"ec2:TerminateInstances", P::ec2, {}}},
      {"ec2_terminate_dry_run", {"ec2:TerminateInstances", P::ec2, {{F::DryRun, "true"}}}},
      {"ec2_disable_api_termination", {"ec2:ModifyInstanceAttribute", P::ec2, {{F::DisableApiTermination, "false"}}}},
      {"dynamodb_delete_table", {"dynamodb:DeleteTable", P::json, {}}},
      {"dynamodb_protection_off", {"dynamodb:UpdateTable", P::json, {{F::DeletionProtectionEnabled, "false"}}}},
      {"dynamodb_get_item", {"dynamodb:GetItem", P::json, {}}},
      {"lambda_delete_function", {"lambda:DeleteFunction", P::rest_json, {}}},
      {"s3_delete_objects", {"s3:DeleteObjects", P::rest_xml, {{F::Bucket, "my-bucket"}}}},
      {"s3_delete_object_version", {"s3:DeleteObject", P::rest_xml, {{F::Bucket, "my-bucket"}, {F::Key, "dir/a.txt"}, {F::VersionId, "v1"}}}},
      {"s3_delete_bucket", {"s3:DeleteBucket", P::rest_xml, {{F::Bucket, "my-bucket"}}}},
      {"s3_put_object", {"s3:PutObject", P::rest_xml, {{F::Key, "big.bin"}}}},
      {"s3_suspend_versioning", {"s3:PutBucketVersioning", P::rest_xml, {{F::VersioningStatus, "Suspended"}}}},
      {"secretsmanager_force_delete", {"secretsmanager:DeleteSecret", P::json, {{F::ForceDeleteWithoutRecovery, "true"}}}},
      {"eks_protection_off", {"eks:UpdateClusterConfig", P::rest_json, {{F::DeletionProtection, "false"}}}},
      {"elbv2_protection_off", {"elasticloadbalancing:ModifyLoadBalancerAttributes", P::query, {{F::DeletionProtectionAttribute, "false"}}}},
      {"cloudformation_delete_stack", {"cloudformation:DeleteStack", P::query, {}}},
      {"sqs_purge", {"sqs:PurgeQueue", P::json, {}}},
      {"cloudwatch_delete_alarms", {"cloudwatch:DeleteAlarms", P::json, {}}},
      {"route53_delete_record", {"route53:ChangeResourceRecordSets", P::rest_xml, {{F::ChangeAction, "DELETE"}}}},
      {"backup_delete_recovery_point", {"backup:DeleteRecoveryPoint", P::rest_json, {}}},
      {"curl_rds_delete", {"rds:DeleteDBInstance", P::query, {}}},
      {"curl_s3_delete_object", {"s3:DeleteObject", P::rest_xml, {{F::Bucket, "my-bucket"}, {F::Key, "a.txt"}}}},
      {"awscli_dynamodb_delete_table", {"dynamodb:DeleteTable", P::json, {}}},
      {"awscli_lambda_delete_function", {"lambda:DeleteFunction", P::rest_json, {}}},
  };
  std::size_t seen = 0;
  for (const auto& capture : captured::all()) {
    std::string whole;
    for (auto w : capture.writes) whole.append(w);
    auto it = expected.find(capture.name);
    ASSERT_NE(it, expected.end()) << "no expectation for " << capture.name;
    RawHttpRequest raw(whole);
    const auto& c = raw.classification();
    EXPECT_TRUE(c.aws) << capture.name;
    EXPECT_EQ(op(c), it->second.call) << capture.name;
    EXPECT_EQ(c.protocol, it->second.protocol) << capture.name << " got " << http::to_string(c.protocol);
    EXPECT_FALSE(c.uncertain) << capture.name;
    for (const auto& [fact, value] : it->second.facts) {
      EXPECT_TRUE(c.fact(fact).present) << capture.name << " " << http::fact_name(fact);
      EXPECT_EQ(std::string(c.fact(fact).value), value) << capture.name << " " << http::fact_name(fact);
    }
    ++seen;
  }
  EXPECT_EQ(seen, expected.size());
}

http::Classification classify(const std::string& text) {
  RawHttpRequest raw(text);
  return raw.classification();
}

const char* kS3Auth = "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-west-2/s3/aws4_request, SignedHeaders=host, Signature=0\n";

TEST(HttpClassify, S3HostDecidesTheAddressingStyle) {
  auto path_style = classify(std::string("DELETE /x HTTP/1.1\nHost: s3.us-west-2.amazonaws.com\n") + kS3Auth);
  EXPECT_EQ(op(path_style), "s3:DeleteBucket");
  EXPECT_STREQ(path_style.fact(http::Fact::Bucket).value, "x");
  EXPECT_FALSE(path_style.fact(http::Fact::Key).present);

  auto virtual_host = classify(std::string("DELETE /x HTTP/1.1\nHost: bucket.s3.us-west-2.amazonaws.com\n") + kS3Auth);
  EXPECT_EQ(op(virtual_host), "s3:DeleteObject");
  EXPECT_STREQ(virtual_host.fact(http::Fact::Bucket).value, "bucket");
  EXPECT_STREQ(virtual_host.fact(http::Fact::Key).value, "x");

  auto localstack = classify(std::string("DELETE /bkt/a%20b.txt HTTP/1.1\nHost: localhost:4566\n") + kS3Auth);
  EXPECT_EQ(op(localstack), "s3:DeleteObject");
  EXPECT_STREQ(localstack.fact(http::Fact::Bucket).value, "bkt");
  EXPECT_STREQ(localstack.fact(http::Fact::Key).value, "a b.txt");

  auto dotted = classify(std::string("DELETE / HTTP/1.1\nHost: my.dotted.bucket.s3-us-west-2.amazonaws.com\n") + kS3Auth);
  EXPECT_EQ(op(dotted), "s3:DeleteBucket");
  EXPECT_STREQ(dotted.fact(http::Fact::Bucket).value, "my.dotted.bucket");
}

// What a client sends to a forward proxy (HTTP_PROXY, the session proxy's plain-HTTP path): the
// path and query are read after the authority, so the same routes are named.
TEST(HttpClassify, AbsoluteFormTargetsAreRoutedLikeOriginForm) {
  struct Case {
    const char* head;
    const char* call;
    const char* key;  // nullptr: no key
  } cases[] = {
      {"DELETE http://10.1.2.3:9000/bkt/a.txt HTTP/1.1\nHost: 10.1.2.3:9000\n", "s3:DeleteObject", "a.txt"},
      {"GET http://10.1.2.3:9000/bkt/a.txt HTTP/1.1\nHost: 10.1.2.3:9000\n", "s3:GetObject", "a.txt"},
      {"DELETE HTTP://s3.us-west-2.amazonaws.com/x?policy HTTP/1.1\nHost: s3.us-west-2.amazonaws.com\n",
       "s3:DeleteBucketPolicy", nullptr},
      {"DELETE http://localhost:4566?x-id=DeleteBucket HTTP/1.1\nHost: localhost:4566\n", nullptr, nullptr},
  };
  for (const auto& c : cases) {
    auto got = classify(std::string(c.head) + kS3Auth);
    if (c.call) {
      EXPECT_EQ(op(got), c.call) << c.head;
    }
    if (c.key) {
      EXPECT_STREQ(got.fact(http::Fact::Key).value, c.key) << c.head;
    } else {
      EXPECT_FALSE(got.fact(http::Fact::Key).present) << c.head;
    }
  }
}

TEST(HttpClassify, S3SubresourcesAndQueryParameters) {
  struct Case {
    const char* line;
    const char* call;
  } cases[] = {
      {"DELETE /?policy HTTP/1.1", "s3:DeleteBucketPolicy"},
      {"DELETE /?lifecycle HTTP/1.1", "s3:DeleteBucketLifecycle"},
      {"DELETE /?publicAccessBlock HTTP/1.1", "s3:DeletePublicAccessBlock"},
      {"DELETE /?unknownthing HTTP/1.1", "s3:DeleteBucket"},
      {"DELETE /k?tagging HTTP/1.1", "s3:DeleteObjectTagging"},
      {"DELETE /k?uploadId=abc HTTP/1.1", "s3:AbortMultipartUpload"},
      {"DELETE /k?x-id=GetObject HTTP/1.1", "s3:DeleteObject"},  // x-id never overrides the method
      {"DELETE /k?versionId=3&x-id=DeleteObject HTTP/1.1", "s3:DeleteObject"},
      {"POST /?delete HTTP/1.1", "s3:DeleteObjects"},
      {"POST /?delete&x-id=DeleteObjects HTTP/1.1", "s3:DeleteObjects"},
      {"PUT /?versioning HTTP/1.1", "s3:PutBucketVersioning"},
      {"PUT /?policy HTTP/1.1", "s3:PutBucketPolicy"},
      {"PUT /k?partNumber=1&uploadId=u HTTP/1.1", "s3:UploadPart"},
      {"POST /k?uploads HTTP/1.1", "s3:CreateMultipartUpload"},
      {"GET /?list-type=2 HTTP/1.1", "s3:ListObjectsV2"},
      {"GET /k HTTP/1.1", "s3:GetObject"},
      {"HEAD / HTTP/1.1", "s3:HeadBucket"},
  };
  for (const auto& c : cases) {
    auto result = classify(std::string(c.line) + "\nHost: bucket.s3.amazonaws.com\n" + kS3Auth);
    EXPECT_EQ(op(result), c.call) << c.line;
  }
  auto bypass = classify(std::string("DELETE /k?versionId=1 HTTP/1.1\nHost: b.s3.amazonaws.com\n"
                                     "x-amz-bypass-governance-retention: true\n") + kS3Auth);
  EXPECT_STREQ(bypass.fact(http::Fact::BypassGovernanceRetention).value, "true");
  EXPECT_STREQ(bypass.fact(http::Fact::VersionId).value, "1");
}

TEST(HttpClassify, S3ControlSharesTheS3SigningName) {
  auto c = classify(std::string("DELETE /v20180820/configuration/publicAccessBlock HTTP/1.1\n"
                                "Host: 123456789012.s3-control.us-west-2.amazonaws.com\n"
                                "x-amz-account-id: 123456789012\n") + kS3Auth);  // botocore sends both
  EXPECT_EQ(op(c), "s3control:DeletePublicAccessBlock");
}

TEST(HttpClassify, ServiceComesFromTheCredentialScopeThenTheHost) {
  auto sigv4a = classify(
      "POST / HTTP/1.1\nHost: example.internal\nX-Amz-Target: AWSEvents.DeleteRule\n"
      "Content-Type: application/x-amz-json-1.1\n"
      "Authorization: AWS4-ECDSA-P256-SHA256 Credential=AKID/20261126/events/aws4_request, SignedHeaders=host, Signature=0\n"
      "X-Amz-Region-Set: *\n\n{}");
  EXPECT_EQ(op(sigv4a), "events:DeleteRule");

  auto presigned = classify(
      "DELETE /my-fn HTTP/1.1\nHost: vpce-1.example\n"
      "\n");
  EXPECT_FALSE(presigned.aws);  // nothing says AWS: not classified

  auto presigned_s3 = classify(
      "DELETE /bkt/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261126%2Fus-east-1%2Fs3%2Faws4_request"
      "&X-Amz-Signature=0 HTTP/1.1\nHost: localhost:9000\n\n");
  EXPECT_EQ(op(presigned_s3), "s3:DeleteObject");

  auto by_host = classify("POST / HTTP/1.1\nHost: monitoring.us-east-1.amazonaws.com\n"
                          "Content-Type: application/x-www-form-urlencoded\n\nAction=DeleteAlarms&AlarmNames.member.1=a");
  EXPECT_EQ(op(by_host), "cloudwatch:DeleteAlarms");  // the signing name `monitoring` is IAM `cloudwatch`

  auto ecr = classify("POST / HTTP/1.1\nHost: api.ecr.us-east-1.amazonaws.com:443\n"
                      "X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.DeleteRepository\n"
                      "Content-Type: application/x-amz-json-1.1\n\n{\"repositoryName\":\"r\",\"force\":true}");
  EXPECT_EQ(op(ecr), "ecr:DeleteRepository");
  EXPECT_STREQ(ecr.fact(http::Fact::Force).value, "true");
}

const char* kRdsAuth = "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=0\n";

TEST(HttpClassify, QueryActionIsDecodedAndConflictsAreUncertain) {
  auto get = classify(std::string("GET /?Action=DeleteDBInstance&DBInstanceIdentifier=x HTTP/1.1\nHost: h\n") + kRdsAuth);
  EXPECT_EQ(op(get), "rds:DeleteDBInstance");
  EXPECT_FALSE(get.uncertain);

  auto encoded = classify(std::string("POST / HTTP/1.1\nHost: h\nContent-Type: application/x-www-form-urlencoded\n") + kRdsAuth +
                          "\n%41ction=Delete%44BInstance&Skip%46inalSnapshot=true");
  EXPECT_EQ(op(encoded), "rds:DeleteDBInstance");
  EXPECT_STREQ(encoded.fact(http::Fact::SkipFinalSnapshot).value, "true");

  auto conflict = classify(std::string("POST /?Action=DescribeDBInstances HTTP/1.1\nHost: h\n"
                                       "Content-Type: application/x-www-form-urlencoded\n") + kRdsAuth +
                           "\nAction=DeleteDBInstance");
  EXPECT_TRUE(conflict.uncertain);

  auto missing = classify(std::string("POST / HTTP/1.1\nHost: h\nContent-Type: application/x-www-form-urlencoded\n") +
                          kRdsAuth + "\nVersion=1");
  EXPECT_TRUE(missing.uncertain);

  auto weird = classify(std::string("GET /?Action=Delete%00DBInstance HTTP/1.1\nHost: h\n") + kRdsAuth);
  EXPECT_TRUE(weird.uncertain);
}

TEST(HttpClassify, FactsSurviveEncodingTricksAndOrder) {
  auto json = classify(
      "POST / HTTP/1.1\nHost: dynamodb.us-east-1.amazonaws.com\nX-Amz-Target: DynamoDB_20120810.UpdateTable\n"
      "Content-Type: application/x-amz-json-1.0\n\n{\"TableName\":\"t\",\"Deletion\\u0050rotectionEnabled\" : false}");
  EXPECT_STREQ(json.fact(http::Fact::DeletionProtectionEnabled).value, "false");

  auto twice = classify(
      "POST / HTTP/1.1\nHost: dynamodb.us-east-1.amazonaws.com\nX-Amz-Target: DynamoDB_20120810.UpdateTable\n"
      "Content-Type: application/x-amz-json-1.0\n\n{\"DeletionProtectionEnabled\":true,\"DeletionProtectionEnabled\":false}");
  EXPECT_TRUE(twice.fact(http::Fact::DeletionProtectionEnabled).ambiguous);

  auto reversed = classify(
      "POST / HTTP/1.1\nHost: elasticloadbalancing.us-east-1.amazonaws.com\n"
      "Content-Type: application/x-www-form-urlencoded\n\n"
      "Action=ModifyLoadBalancerAttributes&Attributes.member.1.Value=false&Attributes.member.2.Key=idle_timeout.timeout_seconds"
      "&Attributes.member.2.Value=60&Attributes.member.1.Key=deletion_protection.enabled");
  EXPECT_STREQ(reversed.fact(http::Fact::DeletionProtectionAttribute).value, "false");

  auto old_form = classify(
      "POST / HTTP/1.1\nHost: ec2.us-east-1.amazonaws.com\nContent-Type: application/x-www-form-urlencoded\n\n"
      "Action=ModifyInstanceAttribute&InstanceId=i-1&Attribute=disableApiTermination&Value=false");
  EXPECT_EQ(old_form.protocol, http::Protocol::ec2);
  EXPECT_STREQ(old_form.fact(http::Fact::DisableApiTermination).value, "false");
}

TEST(HttpClassify, RestRoutesAndUnknownDeletes) {
  const char* auth = "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=0\n";
  auto with = [&](const char* service, const std::string& head, const std::string& body = "") {
    char line[256];
    std::snprintf(line, sizeof line, auth, service);
    return classify(head + line + (body.empty() ? "" : "\n" + body));
  };
  EXPECT_EQ(op(with("lambda", "DELETE /2015-03-31/%66unctions/my-fn HTTP/1.1\nHost: h\n")), "lambda:DeleteFunction");
  EXPECT_EQ(op(with("lambda", "GET /2015-03-31/functions/ HTTP/1.1\nHost: h\n")), "lambda:ListFunctions");
  EXPECT_EQ(op(with("eks", "DELETE /clusters/prod/node-groups/ng HTTP/1.1\nHost: h\n")), "eks:DeleteNodegroup");
  EXPECT_EQ(op(with("elasticfilesystem", "DELETE /2015-02-01/file-systems/fs-1 HTTP/1.1\nHost: h\n")),
            "elasticfilesystem:DeleteFileSystem");
  EXPECT_EQ(op(with("apigateway", "DELETE /v2/apis/a1 HTTP/1.1\nHost: h\n")), "apigateway:DeleteApi");
  EXPECT_EQ(op(with("glacier", "DELETE /-/vaults/v/archives/a HTTP/1.1\nHost: h\n")), "glacier:DeleteArchive");
  EXPECT_EQ(op(with("es", "DELETE /2021-01-01/opensearch/domain/d HTTP/1.1\nHost: h\n")), "es:DeleteDomain");
  EXPECT_EQ(op(with("route53", "DELETE /2013-04-01/hostedzone/Z1 HTTP/1.1\nHost: h\n")), "route53:DeleteHostedZone");
  EXPECT_EQ(op(with("cloudfront", "DELETE /2020-05-31/distribution/E1 HTTP/1.1\nHost: h\n")),
            "cloudfront:DeleteDistribution");
  auto unknown_delete = with("lambda", "DELETE /2099-01-01/something/x HTTP/1.1\nHost: h\n");
  EXPECT_TRUE(unknown_delete.uncertain);
  auto unknown_get = with("lambda", "GET /2099-01-01/something/x HTTP/1.1\nHost: h\n");
  EXPECT_FALSE(unknown_get.uncertain);
  auto json_without_target = with("dynamodb", "POST / HTTP/1.1\nHost: h\nContent-Type: application/x-amz-json-1.0\n", "{}");
  EXPECT_TRUE(json_without_target.uncertain);
}

TEST(HttpClassify, RpcV2Cbor) {
  auto c = classify(
      "POST /service/GraniteServiceVersion20100801/operation/DeleteAlarms HTTP/1.1\nHost: monitoring.us-east-1.amazonaws.com\n"
      "Smithy-Protocol: rpc-v2-cbor\nContent-Type: application/cbor\n"
      "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0\n\n\xa0");
  EXPECT_EQ(c.protocol, http::Protocol::rpc_v2_cbor);
  EXPECT_EQ(op(c), "cloudwatch:DeleteAlarms");
}

TEST(HttpClassify, NonAwsTrafficIsLeftAlone) {
  auto c = classify("GET /index.html HTTP/1.1\nHost: example.com\n");
  EXPECT_FALSE(c.aws);
  EXPECT_EQ(c.operation[0], '\0');
}

}  // namespace

namespace {

const char* kAuth = "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=0\n";

TEST(HttpClassifyHardening, DuplicateDecidingHeadersOrActionsAreUncertain) {
  auto twice = classify(std::string("POST / HTTP/1.1\nHost: dynamodb.us-east-1.amazonaws.com\n"
                                    "X-Amz-Target: DynamoDB_20120810.GetItem\nX-Amz-Target: DynamoDB_20120810.DeleteTable\n"
                                    "Content-Type: application/x-amz-json-1.0\n\n{}"));
  EXPECT_TRUE(twice.uncertain);
  auto actions = classify(std::string("POST / HTTP/1.1\nHost: h\nContent-Type: application/x-www-form-urlencoded\n") + kAuth +
                          "\nAction=DescribeDBInstances&Action=DeleteDBInstance");
  EXPECT_TRUE(actions.uncertain);
  auto same = classify(std::string("POST / HTTP/1.1\nHost: h\nContent-Type: application/x-www-form-urlencoded\n") + kAuth +
                       "\nAction=DescribeDBInstances&Action=DescribeDBInstances");
  EXPECT_FALSE(same.uncertain);
}

TEST(HttpClassifyHardening, CompressedBodiesHideFactsAndQueryActions) {
  auto gz = classify(std::string("POST / HTTP/1.1\nHost: h\nContent-Encoding: gzip\n"
                                 "Content-Type: application/x-www-form-urlencoded\n") + kAuth + "\nAction=DeleteDBInstance");
  EXPECT_TRUE(gz.uncertain);
  EXPECT_FALSE(gz.facts_complete);
}

TEST(HttpClassifyHardening, AbsoluteFormTargets) {
  auto c = classify(std::string("DELETE https://s3.us-west-2.amazonaws.com/bkt HTTP/1.1\n") +
                    "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-west-2/s3/aws4_request, SignedHeaders=host, Signature=0\n");
  EXPECT_EQ(op(c), "s3:DeleteBucket");
  EXPECT_STREQ(c.fact(http::Fact::Bucket).value, "bkt");
}

}  // namespace
