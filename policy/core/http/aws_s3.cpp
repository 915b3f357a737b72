// S3 and S3 Control: the operation follows from the method, whether a bucket and a key are
// addressed, and the subresource in the query string. The Host header decides the addressing
// style: `DELETE /x` is DeleteObject on `bucket.s3.amazonaws.com` but DeleteBucket on
// `s3.us-west-2.amazonaws.com` or a custom endpoint.
#include "core/http/aws_internal.hpp"
#include "core/string_table.hpp"

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

namespace {

// A row of a subresource table: query key and the operation for GET, PUT, DELETE (or nullptr).
struct Subresource {
  const char* key = nullptr;
  const char* get = nullptr;
  const char* put = nullptr;
  const char* del = nullptr;
};

// Bucket subresources, by query key (packed without pointers: core/string_table.hpp).
constexpr const char* kBucketSubresourceRows[][4] = {
    {"policy", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"},
    {"lifecycle", "GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle"},
    {"cors", "GetBucketCors", "PutBucketCors", "DeleteBucketCors"},
    {"encryption", "GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"},
    {"replication", "GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication"},
    {"tagging", "GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging"},
    {"website", "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"},
    {"publicAccessBlock", "GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock"},
    {"ownershipControls", "GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls"},
    {"analytics", "GetBucketAnalyticsConfiguration", "PutBucketAnalyticsConfiguration", "DeleteBucketAnalyticsConfiguration"},
    {"metrics", "GetBucketMetricsConfiguration", "PutBucketMetricsConfiguration", "DeleteBucketMetricsConfiguration"},
    {"inventory", "GetBucketInventoryConfiguration", "PutBucketInventoryConfiguration", "DeleteBucketInventoryConfiguration"},
    {"intelligent-tiering", "GetBucketIntelligentTieringConfiguration", "PutBucketIntelligentTieringConfiguration", "DeleteBucketIntelligentTieringConfiguration"},
    {"metadataTable", "GetBucketMetadataTableConfiguration", "CreateBucketMetadataTableConfiguration", "DeleteBucketMetadataTableConfiguration"},
    {"versioning", "GetBucketVersioning", "PutBucketVersioning", nullptr},
    {"acl", "GetBucketAcl", "PutBucketAcl", nullptr},
    {"object-lock", "GetObjectLockConfiguration", "PutObjectLockConfiguration", nullptr},
    {"notification", "GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", nullptr},
    {"logging", "GetBucketLogging", "PutBucketLogging", nullptr},
    {"accelerate", "GetBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration", nullptr},
    {"requestPayment", "GetBucketRequestPayment", "PutBucketRequestPayment", nullptr},
    {"policyStatus", "GetBucketPolicyStatus", nullptr, nullptr},
    {"location", "GetBucketLocation", nullptr, nullptr},
    {"versions", "ListObjectVersions", nullptr, nullptr},
    {"uploads", "ListMultipartUploads", nullptr, nullptr},
};

// Object subresources.
constexpr const char* kObjectSubresourceRows[][4] = {
    {"tagging", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging"},
    {"acl", "GetObjectAcl", "PutObjectAcl", nullptr},
    {"retention", "GetObjectRetention", "PutObjectRetention", nullptr},
    {"legal-hold", "GetObjectLegalHold", "PutObjectLegalHold", nullptr},
    {"attributes", "GetObjectAttributes", nullptr, nullptr},
    {"torrent", "GetObjectTorrent", nullptr, nullptr},
};
constexpr auto kBucketSubresources = AGENTGUARD_STRING_TABLE(kBucketSubresourceRows);
constexpr auto kObjectSubresources = AGENTGUARD_STRING_TABLE(kObjectSubresourceRows);

// The row of `table` whose key is `key`, if any.
template <typename Table>
bool find_subresource(const Table& table, Text key, Subresource& out) {
  for (std::size_t r = 0; r < table.rows(); ++r) {
    const char* name = table.at(r, 0);
    if (equals(key, Text(name, length_of(name)))) {
      out = Subresource{name, table.at(r, 1), table.at(r, 2), table.at(r, 3)};
      return true;
    }
  }
  return false;
}

struct S3Query {
  Subresource bucket_sub;  // valid if has_bucket_sub
  Subresource object_sub;  // valid if has_object_sub
  bool has_bucket_sub = false;
  bool has_object_sub = false;
  bool delete_flag = false;  // ?delete (DeleteObjects)
  bool uploads = false;      // ?uploads
  bool has_upload_id = false;
  bool has_part_number = false;
  bool restore = false;
  bool select = false;
  bool list_v2 = false;
};

S3Query read_query(Text query, Classification& out) {
  S3Query q;
  FormCursor cursor{query};
  Text raw_key, raw_value;
  Decoded key, value;
  while (cursor.next(&raw_key, &raw_value)) {
    decode_into(key, raw_key, false);
    Text k = key.view();
    if (equals(k, Text("versionId"))) {
      decode_into(value, raw_value, false);
      set_fact(out, Fact::VersionId, value.view());
    } else if (equals(k, Text("uploadId"))) {
      decode_into(value, raw_value, false);
      set_fact(out, Fact::UploadId, value.view());
      q.has_upload_id = true;
    } else if (equals(k, Text("delete"))) {
      q.delete_flag = true;
    } else if (equals(k, Text("uploads"))) {
      q.uploads = true;
    } else if (equals(k, Text("partNumber"))) {
      q.has_part_number = true;
    } else if (equals(k, Text("restore"))) {
      q.restore = true;
    } else if (equals(k, Text("select"))) {
      q.select = true;
    } else if (equals(k, Text("list-type"))) {
      q.list_v2 = true;
    }
    // `x-id=` (added by Smithy SDKs) is deliberately not trusted: the method and path decide.
    if (!q.has_bucket_sub) q.has_bucket_sub = find_subresource(kBucketSubresources, k, q.bucket_sub);
    if (!q.has_object_sub) q.has_object_sub = find_subresource(kObjectSubresources, k, q.object_sub);
  }
  return q;
}

Text name_of(const char* s) { return s ? Text(s, length_of(s)) : Text(); }

}  // namespace

void classify_s3(const Request& request, Classification& out) {
  Text path = out.path;
  Text bucket;
  Text key_raw;
  bool virtual_host = s3_host_bucket(out.host, &bucket);
  Text rest = path.size > 0 && path[0] == '/' ? path.sub(1) : path;
  if (!starts_with(path, Text("/"))) {
    // absolute-form or garbage: only origin-form is decodable; treat as uncertain
    out.uncertain = true;
  }
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
  bool has_key = !key_raw.empty();
  if (has_key) {
    decode_into(decoded, key_raw, false);
    set_fact(out, Fact::Key, decoded.view());
  }
  Text bypass = trim(request.header(Text("x-amz-bypass-governance-retention")));
  if (!bypass.empty()) set_fact(out, Fact::BypassGovernanceRetention, bypass);

  S3Query q = read_query(request.query(), out);
  Text m = request.method;
  Text op;
  if (bucket.empty()) {
    if (equals(m, Text("GET"))) op = Text("ListBuckets");
  } else if (!has_key) {
    const Subresource* sub = q.has_bucket_sub ? &q.bucket_sub : nullptr;
    if (equals(m, Text("DELETE"))) {
      // An unknown or missing subresource on DELETE is treated as deleting the bucket.
      op = sub && sub->del ? name_of(sub->del) : Text("DeleteBucket");
    } else if (equals(m, Text("PUT"))) {
      op = sub ? name_of(sub->put) : Text("CreateBucket");
    } else if (equals(m, Text("POST"))) {
      if (q.delete_flag) op = Text("DeleteObjects");
    } else if (equals(m, Text("GET"))) {
      op = sub ? name_of(sub->get) : (q.list_v2 ? Text("ListObjectsV2") : Text("ListObjects"));
    } else if (equals(m, Text("HEAD"))) {
      op = Text("HeadBucket");
    }
    if (op.empty() && (equals(m, Text("DELETE")) || equals(m, Text("POST")))) out.uncertain = true;
  } else {
    const Subresource* sub = q.has_object_sub ? &q.object_sub : nullptr;
    bool copy = request.has_header(Text("x-amz-copy-source"));
    if (equals(m, Text("DELETE"))) {
      if (q.has_upload_id) op = Text("AbortMultipartUpload");
      else if (sub && sub->del) op = name_of(sub->del);
      else op = Text("DeleteObject");
    } else if (equals(m, Text("PUT"))) {
      if (q.has_part_number && q.has_upload_id) op = copy ? Text("UploadPartCopy") : Text("UploadPart");
      else if (sub) op = name_of(sub->put);
      else op = copy ? Text("CopyObject") : Text("PutObject");
    } else if (equals(m, Text("POST"))) {
      if (q.uploads) op = Text("CreateMultipartUpload");
      else if (q.has_upload_id) op = Text("CompleteMultipartUpload");
      else if (q.restore) op = Text("RestoreObject");
      else if (q.select) op = Text("SelectObjectContent");
      else if (q.delete_flag) op = Text("DeleteObjects");  // `/bucket/?delete` with a stray slash
    } else if (equals(m, Text("GET"))) {
      if (q.has_upload_id) op = Text("ListParts");
      else op = sub ? name_of(sub->get) : Text("GetObject");
    } else if (equals(m, Text("HEAD"))) {
      op = Text("HeadObject");
    }
    if (op.empty() && (equals(m, Text("DELETE")) || equals(m, Text("POST")))) out.uncertain = true;
  }
  if (!op.empty()) set_operation(out, op);
  facts_from_xml(request.body, out);
}

void classify_s3control(const Request& request, Classification& out) {
  if (!classify_rest_route(Text("s3control"), request, out) && equals(request.method, Text("DELETE")))
    out.uncertain = true;
  facts_from_xml(request.body, out);
}

}  // namespace agentguard::core::http::detail
