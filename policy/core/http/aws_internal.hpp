#pragma once
// Pieces of the classifier shared by its source files (not part of the core's interface).
#include "core/http/aws_classify.hpp"

namespace agentguard::core::http::detail {

void set_operation(Classification& out, Text name);
void set_fact(Classification& out, Fact fact, Text value);
void mark_ambiguous(Classification& out, Fact fact);

// Decodes a percent-encoded component into a fixed array; returns the decoded view.
struct Decoded {
  char bytes[256];
  std::size_t size = 0;
  bool truncated = false;
  Text view() const { return Text(bytes, size); }
};
void decode_into(Decoded& out, Text raw, bool plus_is_space);

// S3 (virtual-host or path style) and the other REST services (method + path template).
bool s3_host_bucket(Text host, Text* bucket);
void classify_s3(const Request& request, Classification& out);
void classify_s3control(const Request& request, Classification& out);
bool classify_rest_route(Text service, const Request& request, Classification& out);

// Facts from bodies.
void facts_from_form(Text form, Classification& out);
void facts_from_json(Text json, Classification& out);
void facts_from_xml(Text xml, Classification& out);

}  // namespace agentguard::core::http::detail
