// S3 addressing and the S3 facts rules test (Bucket, Key, VersionId, UploadId, governance bypass).
// The Host header decides the addressing style: `DELETE /x` is DeleteObject on
// `bucket.s3.amazonaws.com` but DeleteBucket on `s3.us-west-2.amazonaws.com` or a custom endpoint.
// The operation itself comes from the generated route table (aws_rest.cpp).
#include "core/http/aws_internal.hpp"

namespace agentguard::core::http::detail {

bool s3_host_bucket(Text host, Text* bucket) {
  // `<bucket>.s3.amazonaws.com`, `<bucket>.s3.<region>.amazonaws.com`, `<bucket>.s3-<region>...`,
  // `<bucket>.s3.dualstack.<region>...`, and LocalStack's `<bucket>.s3.localhost.localstack.cloud`.
  std::size_t at = find(host, Text(".s3."));
  std::size_t dash = find(host, Text(".s3-"));
  if (dash < at) at = dash;
  if (at == host.size || at == 0) return false;
  if (find(host, Text(".s3-control.")) == at) return false;
  *bucket = host.sub(0, at);
  return true;
}

void s3_facts(const Request& request, bool virtual_host, Text host_bucket, Classification& out) {
  Text path = out.path;
  Text rest = path.size > 0 && path[0] == '/' ? path.sub(1) : path;
  if (!starts_with(path, Text("/"))) out.uncertain = true;  // only origin-form is decodable
  Text bucket = host_bucket, key_raw;
  if (virtual_host) {
    key_raw = rest;
  } else {
    std::size_t slash = find_char(rest, '/');
    bucket = rest.sub(0, slash);
    key_raw = slash < rest.size ? rest.sub(slash + 1) : Text();
  }
  Decoded decoded;
  if (!bucket.empty()) {
    decode_into(decoded, bucket, false);
    set_fact(out, Fact::Bucket, decoded.view());
  }
  if (!key_raw.empty()) {
    decode_into(decoded, key_raw, false);
    set_fact(out, Fact::Key, decoded.view());
  }
  Text bypass = trim(request.header(Text("x-amz-bypass-governance-retention")));
  if (!bypass.empty()) set_fact(out, Fact::BypassGovernanceRetention, bypass);

  FormCursor cursor{request.query()};
  Text raw_key, raw_value;
  Decoded key, value;
  while (cursor.next(&raw_key, &raw_value)) {
    decode_into(key, raw_key, false);
    if (equals(key.view(), Text("versionId"))) {
      decode_into(value, raw_value, false);
      set_fact(out, Fact::VersionId, value.view());
    } else if (equals(key.view(), Text("uploadId"))) {
      decode_into(value, raw_value, false);
      set_fact(out, Fact::UploadId, value.view());
    }
  }
}

}  // namespace agentguard::core::http::detail
