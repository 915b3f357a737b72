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

// REST services from the generated route table; S3's addressing style and facts.
void classify_rest(Text signing, const Request& request, Classification& out);
bool s3_host_bucket(Text host, Text* bucket);
void s3_facts(const Request& request, bool virtual_host, Text host_bucket, Classification& out);

// Facts from bodies.
void facts_from_form(Text form, Classification& out);
void facts_from_json(Text json, Classification& out);
void facts_from_xml(Text xml, Classification& out);

}  // namespace agentguard::core::http::detail
