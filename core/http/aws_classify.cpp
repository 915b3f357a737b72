#include "core/http/aws_classify.hpp"

#include <atomic>

#include <cstring>

#include "core/http/aws_internal.hpp"
#include "core/http/aws_operation_table.hpp"
#include "core/base/string_table.hpp"

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

const char* to_string(Signature signature) {
  switch (signature) {
    case Signature::none: return "none";
    case Signature::sigv4: return "sigv4";
    case Signature::sigv4a: return "sigv4a";
    case Signature::sigv4_presigned: return "sigv4-presigned";
    case Signature::sigv2_s3: return "sigv2-s3";
    case Signature::sigv2_s3_presigned: return "sigv2-s3-presigned";
    case Signature::sigv2_query: return "sigv2-query";
  }
  return "none";
}

namespace {

struct FactName {
  Fact fact;
  const char* name;
};

// Canonical names first; aliases map other spellings seen on the wire to the same slot.
// Compile time only: kFactName* below are what runs (no pointers, core/base/string_table.hpp).
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
    {Fact::Method, "Method"},
    {Fact::DeleteRequest, "DeleteRequest"},
    {Fact::StatementVerb, "StatementVerb"},
    {Fact::DeleteTarget, "DeleteTarget"},
    // aliases
    {Fact::BypassGovernanceRetention, "x-amz-bypass-governance-retention"},
    {Fact::DeleteRequest, "Delete"},
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

// Headers that decide the service, operation or a fact.
constexpr const char* kDecidingHeaderList[] = {
    "Host", "Authorization", "X-Amz-Target", "Content-Type", "Smithy-Protocol",
    "x-amz-bypass-governance-retention", "x-amz-copy-source", "Content-Encoding",
};

constexpr auto kDecidingHeaders = AGENTGUARD_STRING_TABLE(kDecidingHeaderList);

Text text_at(const char* s) { return Text(s, length_of(s)); }

// What the models say about every service signing with this name (RDS, DocumentDB and Neptune
// share `rds`; S3 and S3 Control share `s3`).
struct SigningFacts {
  bool known = false;
  bool query = false;   // some model speaks query/ec2 (the operation is in a form)
  bool rest = false;    // some model is REST (method + URI template)
};

// The answer for the last known signing name, in one word so threads need no lock: its atom in
// the upper bits, the three facts in the lowest (known is always set, so 0 means empty). Finding
// them scans every service (~18 k instructions); a client's requests name the same service.
std::atomic<std::uint64_t> g_last_signing{0};

SigningFacts signing_facts(Text signing) {
  const std::uint64_t last = g_last_signing.load(std::memory_order_relaxed);
  if (last != 0 && equals(model::atom(static_cast<std::uint32_t>(last >> 3)), signing))
    return SigningFacts{true, (last & 2u) != 0, (last & 4u) != 0};
  SigningFacts f;
  std::uint32_t atom_id = 0;
  for (const model::Service* s = model::next_signed_as(signing); s; s = model::next_signed_as(signing, s)) {
    f.known = true;
    atom_id = s->signing;
    if (s->protocols & ((1u << static_cast<unsigned>(Protocol::query)) | (1u << static_cast<unsigned>(Protocol::ec2))))
      f.query = true;
    bool rest = s->protocol == static_cast<std::uint8_t>(Protocol::rest_json) ||
                s->protocol == static_cast<std::uint8_t>(Protocol::rest_xml);
    if (rest) f.rest = true;
  }
  if (f.known)
    g_last_signing.store((std::uint64_t{atom_id} << 3) | 1u | (f.query ? 2u : 0u) | (f.rest ? 4u : 0u),
                         std::memory_order_relaxed);
  return f;
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
  std::size_t at = find(auth, Text("Credential="));
  if (at == auth.size) return false;
  Text value = auth.sub(at + 11);
  std::size_t end = 0;
  while (end < value.size && value[end] != ',' && value[end] != ' ') ++end;
  return service_from_scope(value.sub(0, end), service);
}

// The first value of form key `name` (percent-decoded), from a query string or form body.
bool form_value(Text form, Text name, Decoded& out) {
  FormCursor cursor{form};
  Text key, value;
  Decoded key_decoded;
  while (cursor.next(&key, &value)) {
    decode_into(key_decoded, key, true);
    if (!equals(key_decoded.view(), name)) continue;
    decode_into(out, value, true);
    return true;
  }
  return false;
}

bool has_form_key(Text form, Text name) {
  Decoded ignored;
  return form_value(form, name, ignored);
}

// The signing name of a query service from its `Version=` (SigV2 does not name the service).
Text service_from_version(Text query, Text form_body) {
  Decoded version;
  if (!form_value(form_body, Text("Version"), version) && !form_value(query, Text("Version"), version)) return Text();
  const model::Service* s = model::find_by_query_version(version.view());
  return s ? model::signing_name(*s) : Text();
}

// How the request is signed and, when the signature says, which service it is for. SigV4 names
// the service in its credential scope; SigV2 does not, but its S3 forms are S3-only and its
// query form carries the API version.
Signature signature_of(const Request& request, bool form_body, Decoded& scratch, Text* service) {
  Text auth = trim(request.header(Text("Authorization")));
  Text query = request.query();
  Text body = form_body ? request.body : Text();
  if (istarts_with(auth, Text("AWS4-"))) {
    service_from_authorization(auth, service);
    return istarts_with(auth, Text("AWS4-ECDSA")) ? Signature::sigv4a : Signature::sigv4;
  }
  if (istarts_with(auth, Text("AWS ")) && find_char(auth, ':') < auth.size) {
    *service = Text("s3");
    return Signature::sigv2_s3;
  }
  if (form_value(query, Text("X-Amz-Credential"), scratch)) {
    service_from_scope(scratch.view(), service);
    return Signature::sigv4_presigned;
  }
  bool v2_query = has_form_key(query, Text("AWSAccessKeyId")) && has_form_key(query, Text("Signature"));
  bool v2_body = has_form_key(body, Text("AWSAccessKeyId")) && has_form_key(body, Text("Signature"));
  if (!v2_query && !v2_body) return Signature::none;
  if (has_form_key(query, Text("Action")) || has_form_key(body, Text("Action"))) {
    *service = service_from_version(query, body);
    return Signature::sigv2_query;
  }
  *service = Text("s3");
  return Signature::sigv2_s3_presigned;
}

bool is_aws_domain(Text host) {
  return ends_with(host, Text(".amazonaws.com")) || ends_with(host, Text(".amazonaws.com.cn")) ||
         ends_with(host, Text(".api.aws")) || ends_with(host, Text(".on.aws"));
}

// Signing name from an AWS host: `rds.us-east-1.amazonaws.com`, `bucket.s3.amazonaws.com`,
// `api.ecr...`, `streams.dynamodb...`, `123456789012.s3-control...`, `kms-fips...`. The models'
// endpoint prefixes (one or two labels) name the service; an unknown prefix is taken as is.
bool service_from_host(Text host, Text* service) {
  if (!is_aws_domain(host)) return false;
  if (find(host, Text("s3-control.")) < host.size) {
    *service = Text("s3");
    return true;
  }
  Text bucket;
  if (starts_with(host, Text("s3.")) || starts_with(host, Text("s3-")) || s3_host_bucket(host, &bucket)) {
    *service = Text("s3");
    return true;
  }
  std::size_t dot = find_char(host, '.');
  std::size_t dot2 = find_char(host, '.', dot + 1);
  Text first = host.sub(0, dot);
  Text second = host.sub(dot + 1, dot2 - dot - 1);
  if (equals(second, Text("ddb"))) {  // DynamoDB account endpoints `{AccountId}.ddb.<region>...`
    *service = Text("dynamodb");
    return true;
  }
  if (ends_with(first, Text("-fips"))) first = first.sub(0, first.size - 5);
  if (const model::Service* s = model::find_by_endpoint(host.sub(0, dot2))) {  // "api.ecr"
    *service = model::signing_name(*s);
    return true;
  }
  if (const model::Service* s = model::find_by_endpoint(first)) {
    *service = model::signing_name(*s);
    return true;
  }
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
    case Fact::Method:
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

  Text content_type = request.header(Text("Content-Type"));
  bool form_body = is_form(content_type) && body_readable;
  Text target = trim(request.header(Text("X-Amz-Target")));
  Text service;
  Decoded scratch;
  out.signature = signature_of(request, form_body, scratch, &service);
  if (service.empty() && !target.empty()) {
    // An unsigned or oddly signed json call: the target prefix names the service.
    if (const model::Service* s = model::find_by_target(target.sub(0, find_char(target, '.'))))
      service = model::signing_name(*s);
  }
  if (service.empty()) service_from_host(out.host, &service);
  // Signed for AWS, but for a service neither the signature nor the host names: rules for any
  // service (`*:...`) still apply.
  if (service.empty() && out.signature != Signature::none) service = Text("unknown");
  out.aws = !service.empty();
  if (!out.aws) return;

  set_fact(out, Fact::Method, request.method);
  copy_to(out.service, sizeof out.service, service);
  SigningFacts models = signing_facts(service);
  for (std::size_t i = 0; i < kSigningToIam.rows(); ++i)
    if (equals(service, text_at(kSigningToIam.at(i, 0))))
      copy_to(out.service, sizeof out.service, text_at(kSigningToIam.at(i, 1)));

  Text rpc_op;
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
  } else if (is_form(content_type) || has_form_key(request.query(), Text("Action")) || (models.query && !models.rest)) {
    // SES (query) and SESv2 (REST) share `ses`, SimpleDB v1 and v2 `sdb`: the form decides.
    out.protocol = equals(service, Text("ec2")) ? Protocol::ec2 : Protocol::query;
    classify_query(request, body_readable, out);
  } else if (models.rest || !models.known) {
    classify_rest(service, request, out);
    if (!body_readable) {
      // facts_complete is already false
    } else if (out.protocol == Protocol::rest_xml) {
      facts_from_xml(request.body, out);
    } else {
      facts_from_json(request.body, out);
    }
  } else {
    out.protocol = Protocol::json;
    out.uncertain = true;  // an awsJson service without X-Amz-Target: we cannot name the call
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
