#include "core/http/aws_classify.hpp"

#include <cstring>

#include "core/http/aws_internal.hpp"
#include "core/string_table.hpp"

namespace agentguard::core::http {

using namespace detail;

const char* to_string(Protocol protocol) {
  switch (protocol) {
    case Protocol::unknown: return "unknown";
    case Protocol::query: return "query";
    case Protocol::ec2: return "ec2";
    case Protocol::json: return "json";
    case Protocol::rest_json: return "rest-json";
    case Protocol::rest_xml: return "rest-xml";
    case Protocol::rpc_v2_cbor: return "smithy-rpc-v2-cbor";
  }
  return "unknown";
}

namespace {

struct FactName {
  Fact fact;
  const char* name;
};

// Canonical names first; aliases map other spellings seen on the wire to the same slot.
// Compile time only: kFactName* below are what runs (no pointers, core/string_table.hpp).
constexpr FactName kFactNameRows[] = {
    {Fact::DeletionProtection, "DeletionProtection"},
    {Fact::DeletionProtectionEnabled, "DeletionProtectionEnabled"},
    {Fact::SkipFinalSnapshot, "SkipFinalSnapshot"},
    {Fact::SkipFinalClusterSnapshot, "SkipFinalClusterSnapshot"},
    {Fact::DeleteAutomatedBackups, "DeleteAutomatedBackups"},
    {Fact::BackupRetentionPeriod, "BackupRetentionPeriod"},
    {Fact::DisableApiTermination, "DisableApiTermination"},
    {Fact::DisableApiStop, "DisableApiStop"},
    {Fact::EnableTerminationProtection, "EnableTerminationProtection"},
    {Fact::DryRun, "DryRun"},
    {Fact::ForceDeleteWithoutRecovery, "ForceDeleteWithoutRecovery"},
    {Fact::ForceDelete, "ForceDelete"},
    {Fact::Force, "Force"},
    {Fact::PointInTimeRecoveryEnabled, "PointInTimeRecoveryEnabled"},
    {Fact::DeletionProtectionAttribute, "deletion_protection.enabled"},
    {Fact::VersioningStatus, "VersioningStatus"},
    {Fact::BypassGovernanceRetention, "BypassGovernanceRetention"},
    {Fact::ChangeAction, "ChangeAction"},
    {Fact::Bucket, "Bucket"},
    {Fact::Key, "Key"},
    {Fact::VersionId, "VersionId"},
    {Fact::UploadId, "UploadId"},
    // aliases
    {Fact::BypassGovernanceRetention, "x-amz-bypass-governance-retention"},
};
constexpr std::size_t kFactNameCount = sizeof kFactNameRows / sizeof *kFactNameRows;
struct FactIds {
  Fact ids[kFactNameCount];
};
struct FactNameList {
  const char* names[kFactNameCount];
};
constexpr FactIds fact_ids() {
  FactIds out{};
  for (std::size_t i = 0; i < kFactNameCount; ++i) out.ids[i] = kFactNameRows[i].fact;
  return out;
}
constexpr FactNameList fact_names() {
  FactNameList out{};
  for (std::size_t i = 0; i < kFactNameCount; ++i) out.names[i] = kFactNameRows[i].name;
  return out;
}
constexpr FactIds kFactIds = fact_ids();
constexpr FactNameList kFactNameList = fact_names();  // compile time only
constexpr auto kFactNames = AGENTGUARD_STRING_TABLE(kFactNameList.names);

// Signing names whose IAM action prefix differs: signing name, IAM prefix.
constexpr const char* kSigningToIamRows[][2] = {
    {"monitoring", "cloudwatch"}, {"email", "ses"},
};
constexpr auto kSigningToIam = AGENTGUARD_STRING_TABLE(kSigningToIamRows);

// Services whose only wire protocol puts the operation in a form body (or did historically).
constexpr const char* kQueryServiceList[] = {
    "rds", "iam", "sts", "cloudformation", "elasticache", "elasticloadbalancing", "sns", "redshift",
    "autoscaling", "ec2", "sqs", "cloudwatch", "ses", "sdb", "importexport",
};
// Services that speak awsJson: without X-Amz-Target the operation is unknown.
constexpr const char* kJsonServiceList[] = {
    "dynamodb", "ecs", "kms", "secretsmanager", "logs", "ssm", "organizations", "fsx", "ecr",
    "events", "cloudtrail", "kinesis", "states", "codebuild", "codecommit", "redshift-data",
};

// Headers that decide the service, operation or a fact.
constexpr const char* kDecidingHeaderList[] = {
    "Host", "Authorization", "X-Amz-Target", "Content-Type", "Smithy-Protocol",
    "x-amz-bypass-governance-retention", "x-amz-copy-source", "Content-Encoding",
};

constexpr auto kQueryServices = AGENTGUARD_STRING_TABLE(kQueryServiceList);
constexpr auto kJsonServices = AGENTGUARD_STRING_TABLE(kJsonServiceList);
constexpr auto kDecidingHeaders = AGENTGUARD_STRING_TABLE(kDecidingHeaderList);

Text text_at(const char* s) { return Text(s, length_of(s)); }

template <typename Table>
bool in_list(Text name, const Table& list) {
  for (std::size_t i = 0; i < list.rows(); ++i)
    if (equals(name, text_at(list.at(i)))) return true;
  return false;
}

Text strip_port(Text host) {
  if (!host.empty() && host[0] == '[') {  // IPv6 literal
    std::size_t close = find_char(host, ']');
    return host.sub(0, close < host.size ? close + 1 : host.size);
  }
  return host.sub(0, find_char(host, ':'));
}

// "AKID/20261126/us-east-1/rds/aws4_request" (SigV4) or "AKID/20261126/rds/aws4_request"
// (SigV4a): the service is the field before the final "aws4_request".
bool service_from_scope(Text scope, Text* service) {
  if (!ends_with(scope, Text("/aws4_request"))) return false;
  Text rest = scope.sub(0, scope.size - 13);
  std::size_t slash = rest.size;
  while (slash > 0 && rest[slash - 1] != '/') --slash;
  if (slash == 0) return false;
  *service = rest.sub(slash);
  return !service->empty();
}

bool service_from_authorization(Text auth, Text* service) {
  if (!istarts_with(auth, Text("AWS4-"))) return false;
  std::size_t at = find(auth, Text("Credential="));
  if (at == auth.size) return false;
  Text value = auth.sub(at + 11);
  std::size_t end = 0;
  while (end < value.size && value[end] != ',' && value[end] != ' ') ++end;
  return service_from_scope(value.sub(0, end), service);
}

bool service_from_presigned(Text query, Decoded& scratch, Text* service) {
  FormCursor cursor{query};
  Text key, value;
  while (cursor.next(&key, &value)) {
    if (!iequals(key, Text("X-Amz-Credential"))) continue;
    decode_into(scratch, value, false);
    return service_from_scope(scratch.view(), service);
  }
  return false;
}

bool is_aws_domain(Text host) {
  return ends_with(host, Text(".amazonaws.com")) || ends_with(host, Text(".amazonaws.com.cn")) ||
         ends_with(host, Text(".api.aws")) || ends_with(host, Text(".on.aws"));
}

// Signing name from an AWS host: `rds.us-east-1.amazonaws.com`, `bucket.s3.amazonaws.com`,
// `api.ecr...`, `streams.dynamodb...`, `123456789012.s3-control...`, `kms-fips...`.
bool service_from_host(Text host, Text* service) {
  if (!is_aws_domain(host)) return false;
  if (find(host, Text("s3-control.")) < host.size) {
    *service = Text("s3control");
    return true;
  }
  Text bucket;
  if (starts_with(host, Text("s3.")) || starts_with(host, Text("s3-")) || s3_host_bucket(host, &bucket)) {
    *service = Text("s3");
    return true;
  }
  std::size_t dot = find_char(host, '.');
  Text first = host.sub(0, dot);
  Text second = host.sub(dot + 1, find_char(host, '.', dot + 1) - dot - 1);
  if (equals(first, Text("api")) || equals(first, Text("streams")) || equals(second, Text("ddb"))) {
    *service = equals(second, Text("ddb")) ? Text("dynamodb") : second;
    return true;
  }
  if (ends_with(first, Text("-fips"))) first = first.sub(0, first.size - 5);
  *service = first;
  return !first.empty();
}

// "/service/<Svc>/operation/<Op>" (a prefix before it is allowed by the spec).
bool rpc_v2_operation(Text path, Text* operation) {
  std::size_t s = find(path, Text("/service/"));
  if (s == path.size) return false;
  std::size_t o = find(path, Text("/operation/"), s + 9);
  if (o == path.size || o == s + 9) return false;
  *operation = path.sub(o + 11);
  return !operation->empty() && find_char(*operation, '/') == operation->size;
}

bool is_form(Text content_type) {
  return istarts_with(trim(content_type), Text("application/x-www-form-urlencoded"));
}

// The first `Action` in a form (key and value percent-decoded, as the server reads them).
// *conflict is set when a later `Action` names something else: which one the service honours
// is not ours to guess.
bool form_action(Text form, Decoded& value_out, bool* conflict) {
  FormCursor cursor{form};
  Text key, value;
  Decoded key_decoded, other;
  bool found = false;
  while (cursor.next(&key, &value)) {
    decode_into(key_decoded, key, true);
    if (!equals(key_decoded.view(), Text("Action"))) continue;
    if (!found) {
      decode_into(value_out, value, true);
      found = true;
    } else {
      decode_into(other, value, true);
      if (!equals(other.view(), value_out.view())) *conflict = true;
    }
  }
  return found;
}

// A body we can read: no Content-Encoding, or only identity / aws-chunked (S3 uploads, whose
// facts are all in the headers). A gzip body (botocore request compression) is opaque.
bool body_is_plain(const Request& request) {
  Text encodings = request.header(Text("Content-Encoding"));
  std::size_t from = 0;
  while (from <= encodings.size) {
    std::size_t comma = find_char(encodings, ',', from);
    Text token = trim(encodings.sub(from, comma - from));
    if (!token.empty() && !iequals(token, Text("identity")) && !iequals(token, Text("aws-chunked"))) return false;
    from = comma + 1;
  }
  return true;
}

// The same operation-deciding header sent twice with different values: which one the service
// honours is unknowable here, so the classification is uncertain.
bool header_conflicts(const Request& request, Text name) {
  bool seen = false;
  Text first;
  for (std::size_t i = 0; i < request.header_count; ++i) {
    if (!iequals(request.headers[i].name, name)) continue;
    Text value = trim(request.headers[i].value);
    if (!seen) {
      first = value;
      seen = true;
    } else if (!equals(first, value)) {
      return true;
    }
  }
  return false;
}

void classify_query(const Request& request, bool body_readable, Classification& out) {
  Decoded in_body, in_query;
  bool form_body = is_form(request.header(Text("Content-Type")));
  if (!body_readable && form_body) {
    // The Action is in a body we cannot read: only the query string can name the call.
    out.uncertain = true;
    form_body = false;
  }
  bool conflict = false;
  bool body_has = form_body && form_action(request.body, in_body, &conflict);
  bool query_has = form_action(request.query(), in_query, &conflict);
  if (conflict) out.uncertain = true;
  if (body_has) {
    set_operation(out, in_body.view());
    if (query_has && !equals(in_body.view(), in_query.view())) out.uncertain = true;
  } else if (query_has) {
    set_operation(out, in_query.view());
    // A form body still unseen could carry a different Action.
    if (form_body && !request.body_complete) out.uncertain = true;
  } else {
    out.uncertain = true;  // the operation must be in a body we did not see, or is missing
  }
  if (in_body.truncated || in_query.truncated) out.uncertain = true;
  if (form_body) facts_from_form(request.body, out);
  facts_from_form(request.query(), out);
}

}  // namespace

const char* fact_name(Fact fact) {
  for (std::size_t i = 0; i < kFactNameCount; ++i)
    if (kFactIds.ids[i] == fact) return kFactNames.at(i);
  return "?";
}

bool fact_comes_from_body(Fact fact) {
  switch (fact) {
    case Fact::Bucket:
    case Fact::Key:
    case Fact::VersionId:
    case Fact::UploadId:
    case Fact::BypassGovernanceRetention: return false;
    default: return true;
  }
}

bool fact_from_name(Text name, Fact* out) {
  for (std::size_t i = 0; i < kFactNameCount; ++i)
    if (iequals(name, text_at(kFactNames.at(i)))) {
      *out = kFactIds.ids[i];
      return true;
    }
  return false;
}

void classify(const Request& request, Classification& out) {
  // Reset in place: a temporary Classification would cost 3 KiB of the hooked thread's stack.
  std::memset(static_cast<void*>(&out), 0, sizeof out);
  out.facts_complete = true;
  out.host = strip_port(trim(request.header(Text("Host"))));
  out.path = request.path();
  if (istarts_with(out.path, Text("http://")) || istarts_with(out.path, Text("https://"))) {
    // absolute-form (through a proxy): the authority names the host, the rest is the path
    std::size_t authority = find(out.path, Text("://")) + 3;
    std::size_t slash = find_char(out.path, '/', authority);
    if (out.host.empty()) out.host = strip_port(out.path.sub(authority, slash - authority));
    out.path = slash < out.path.size ? out.path.sub(slash) : Text("/");
  }
  bool body_readable = body_is_plain(request);
  out.facts_complete = request.body_complete && body_readable;
  for (std::size_t i = 0; i < kDecidingHeaders.rows(); ++i)
    if (header_conflicts(request, text_at(kDecidingHeaders.at(i)))) out.uncertain = true;

  Text service;
  Decoded scope_scratch;
  bool signed_request = service_from_authorization(request.header(Text("Authorization")), &service) ||
                        service_from_presigned(request.query(), scope_scratch, &service);
  bool from_host = !signed_request && service_from_host(out.host, &service);
  out.aws = signed_request || from_host;
  if (!out.aws) return;

  copy_to(out.service, sizeof out.service, service);
  for (std::size_t i = 0; i < kSigningToIam.rows(); ++i)
    if (equals(service, text_at(kSigningToIam.at(i, 0))))
      copy_to(out.service, sizeof out.service, text_at(kSigningToIam.at(i, 1)));
  Text svc(out.service, length_of(out.service));
  // S3 Control shares the `s3` signing name; its paths all start with the API version.
  if (equals(svc, Text("s3")) &&
      (starts_with(out.path, Text("/v20180820/")) || find(out.host, Text("s3-control")) < out.host.size)) {
    copy_to(out.service, sizeof out.service, Text("s3control"));
    svc = Text(out.service, length_of(out.service));
  }

  Text target = trim(request.header(Text("X-Amz-Target")));
  Text rpc_op;
  Text content_type = request.header(Text("Content-Type"));
  bool cbor = request.has_header(Text("Smithy-Protocol")) || istarts_with(content_type, Text("application/cbor"));
  Decoded decoded;
  if (cbor && rpc_v2_operation(out.path, &rpc_op)) {
    out.protocol = Protocol::rpc_v2_cbor;
    decode_into(decoded, rpc_op, false);
    set_operation(out, decoded.view());
  } else if (!target.empty()) {
    out.protocol = Protocol::json;
    out.json_1_0 = find(content_type, Text("json-1.0")) < content_type.size;
    std::size_t dot = target.size;
    while (dot > 0 && target[dot - 1] != '.') --dot;
    set_operation(out, target.sub(dot));
    if (body_readable) facts_from_json(request.body, out);
  } else if (is_form(content_type) || in_list(svc, kQueryServices)) {
    out.protocol = equals(svc, Text("ec2")) ? Protocol::ec2 : Protocol::query;
    classify_query(request, body_readable, out);
  } else if (equals(svc, Text("s3"))) {
    out.protocol = Protocol::rest_xml;
    classify_s3(request, out);
  } else if (equals(svc, Text("s3control"))) {
    out.protocol = Protocol::rest_xml;
    classify_s3control(request, out);
  } else {
    bool xml = equals(svc, Text("route53")) || equals(svc, Text("cloudfront"));
    out.protocol = xml ? Protocol::rest_xml : Protocol::rest_json;
    if (in_list(svc, kJsonServices)) {
      out.protocol = Protocol::json;
      out.uncertain = true;  // an awsJson service without X-Amz-Target: we cannot name the call
    } else if (!classify_rest_route(svc, request, out)) {
      // An unknown path: a DELETE still deletes something, so rules for the service apply.
      if (equals(request.method, Text("DELETE"))) out.uncertain = true;
    }
    if (!body_readable) {
      // facts_complete is already false
    } else if (xml) {
      facts_from_xml(request.body, out);
    } else {
      facts_from_json(request.body, out);
    }
  }
  // rpc-v2-cbor bodies are not decoded (docs/https-guard.md, "Limits").
}

namespace detail {

void set_operation(Classification& out, Text name) {
  if (!copy_to(out.operation, sizeof out.operation, name)) out.uncertain = true;
  for (std::size_t i = 0; i < name.size; ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-';
    if (!ok) out.uncertain = true;  // not an operation name: someone is playing games
  }
}

void set_fact(Classification& out, Fact fact, Text value) {
  FactValue& slot = out.facts[static_cast<std::size_t>(fact)];
  if (slot.present) {
    if (!iequals(Text(slot.value, length_of(slot.value)), value)) slot.ambiguous = true;
    return;
  }
  slot.present = true;
  if (!copy_to(slot.value, sizeof slot.value, value)) slot.ambiguous = true;
}

void mark_ambiguous(Classification& out, Fact fact) {
  FactValue& slot = out.facts[static_cast<std::size_t>(fact)];
  slot.present = true;
  slot.ambiguous = true;
}

void decode_into(Decoded& out, Text raw, bool plus_is_space) {
  out.size = url_decode(raw, plus_is_space, out.bytes, sizeof out.bytes, &out.truncated);
}

}  // namespace detail
}  // namespace agentguard::core::http
