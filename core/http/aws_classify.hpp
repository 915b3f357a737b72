#pragma once
// Which AWS service and operation an HTTP/1.1 request calls, and the parameters that switch a
// protection off. Allocation-free: names are decoded into small fixed arrays in Classification.
// Facts are in docs/https-guard.md; the wire shapes come from botocore (see the research notes).
#include <cstddef>
#include <cstdint>

#include "core/http/request_stream.hpp"
#include "core/http/text.hpp"

namespace agentguard::core::http {

enum class Protocol : std::uint8_t { unknown, query, ec2, json, rest_json, rest_xml, rpc_v2_cbor };
const char* to_string(Protocol protocol);

// How the request is signed; every form names (or implies) the service on any host.
enum class Signature : std::uint8_t {
  none,
  sigv4,            // Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request
  sigv4a,           // Authorization: AWS4-ECDSA-P256-SHA256 Credential=AKID/date/service/aws4_request
  sigv4_presigned,  // ?X-Amz-Credential=... (presigned URL)
  sigv2_s3,         // Authorization: AWS AKID:signature (S3's HMAC-SHA1 signer)
  sigv2_s3_presigned,  // ?AWSAccessKeyId=...&Signature=...&Expires=... without Action (S3)
  sigv2_query,      // AWSAccessKeyId + Signature with Action= (query services' SigV2)
};
const char* to_string(Signature signature);

// Parameters rules can test (`when`/`unless`). Each has one slot, so a request padded with other
// parameters can never push one out. Names compare ASCII case-insensitively, so EKS's
// `deletionProtection` and RDS's `DeletionProtection` are the same fact.
enum class Fact : std::uint8_t {
  DeletionProtection,          // RDS/DocDB/Neptune query, EKS json
  DeletionProtectionEnabled,   // DynamoDB UpdateTable
  SkipFinalSnapshot,
  SkipFinalClusterSnapshot,    // Redshift
  DeleteAutomatedBackups,
  BackupRetentionPeriod,
  DisableApiTermination,       // ec2 `DisableApiTermination.Value=` or Attribute=disableApiTermination&Value=
  DisableApiStop,
  EnableTerminationProtection, // CloudFormation
  DryRun,
  ForceDeleteWithoutRecovery,  // Secrets Manager
  ForceDelete,                 // AutoScaling
  Force,                       // ECR DeleteRepository, and others' "force"
  PointInTimeRecoveryEnabled,  // DynamoDB UpdateContinuousBackups
  DeletionProtectionAttribute, // ELBv2 `Key=deletion_protection.enabled` / `Value=`
  VersioningStatus,            // S3 PutBucketVersioning <Status>
  BypassGovernanceRetention,   // S3 header x-amz-bypass-governance-retention
  ChangeAction,                // Route53 ChangeResourceRecordSets: "DELETE" if any change deletes
  Bucket,                      // S3 bucket (virtual-host or path style)
  Key,                         // S3 object key
  VersionId,                   // S3 versionId
  UploadId,                    // S3 uploadId
  Method,                      // the HTTP method (REST DELETE is a delete in any service)
  DeleteRequest,               // DynamoDB BatchWriteItem `DeleteRequest` / TransactWriteItems `Delete`
  StatementVerb,               // PartiQL: "DELETE" if any statement deletes, else the first verb
  DeleteTarget,                // RDS DeleteBlueGreenDeployment: also delete the green environment
  count_
};
inline constexpr std::size_t kFactCount = static_cast<std::size_t>(Fact::count_);
const char* fact_name(Fact fact);
// Facts read from the body (as opposed to the path, query string or headers, which are always
// seen whole). Only these can be missing because the body was cut.
bool fact_comes_from_body(Fact fact);
// Finds a fact by name (case-insensitive; "deletion_protection.enabled" names the ELBv2 one).
bool fact_from_name(Text name, Fact* out);

inline constexpr std::size_t kFactValueMax = 128;
inline constexpr std::size_t kNameMax = 96;

struct FactValue {
  bool present = false;
  // The request says it more than once with different values, or the value was cut or written in
  // a form we do not decode. Deny/ask conditions then hold; allow conditions and exceptions don't.
  bool ambiguous = false;
  char value[kFactValueMax] = {};
};

struct Classification {
  bool aws = false;              // a SigV4 signature, a presigned query or an AWS host was seen
  Protocol protocol = Protocol::unknown;
  Signature signature = Signature::none;
  bool json_1_0 = false;         // Content-Type application/x-amz-json-1.0 (the error reply mirrors it)
  char service[kNameMax] = {};   // IAM prefix: "rds", "s3", "cloudwatch" (from monitoring), ...
  char operation[kNameMax] = {}; // "DeleteDBInstance"; empty when unknown
  // The operation could not be determined with confidence although it matters: a query body not
  // seen, conflicting Action values, a DELETE on an unknown REST path. decide_api() then lets
  // deny/ask rules for the service match whatever the operation is (fail closed).
  bool uncertain = false;
  // False when facts may be missing: only a prefix of the body was seen, or more parameters
  // of a kind we pair up (Key/Value lists) than we track. Missing facts then count as present for
  // deny/ask conditions.
  bool facts_complete = true;
  Text host;                     // Host header without port, view into the request
  Text path;                     // request path (still percent-encoded), view into the request
  FactValue facts[kFactCount];

  const FactValue& fact(Fact f) const { return facts[static_cast<std::size_t>(f)]; }
};

// Classifies one reassembled request. Never fails: what cannot be read stays empty.
void classify(const Request& request, Classification& out);

}  // namespace agentguard::core::http
