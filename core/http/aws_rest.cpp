// REST services (rest-json, rest-xml): the operation is the route of the generated table whose
// method, URI template, query keys and required headers fit the request best. Every service
// signing with the same name is tried (API Gateway v1 and v2 both sign as `apigateway`,
// OpenSearch and Elasticsearch as `es`, S3 Control as `s3`).
#include "core/http/aws_internal.hpp"
#include "core/http/aws_operation_table.hpp"

namespace agentguard::core::http::detail {

namespace {

bool is_rest(const model::Service& s) {
  return s.protocol == static_cast<std::uint8_t>(Protocol::rest_json) ||
         s.protocol == static_cast<std::uint8_t>(Protocol::rest_xml);
}

// S3 data-plane variants whose credential scope names another signing name but whose routes
// are S3's (directory buckets, Object Lambda access points).
bool signs_for_s3(Text signing) {
  return equals(signing, Text("s3")) || equals(signing, Text("s3express")) ||
         equals(signing, Text("s3-object-lambda"));
}

// `models.lex.us-east-1.amazonaws.com` has the endpoint prefix `models.lex`.
bool host_has_prefix(Text host, Text prefix) {
  return host.size > prefix.size && starts_with(host, prefix) && host[prefix.size] == '.';
}

}  // namespace

void classify_rest(Text signing, const Request& request, Classification& out) {
  bool s3 = signs_for_s3(signing);
  Text bucket;
  bool virtual_host = s3 && s3_host_bucket(out.host, &bucket);
  Text route_signing = s3 ? Text("s3") : signing;
  // Services whose endpoint prefix is the host's first label are tried first (bedrock-agent and
  // bedrock-agent-runtime share the signing name and some routes); then every service with the
  // signing name (a custom endpoint says nothing).
  model::RouteMatch best;
  const model::Service* first_rest = nullptr;
  for (int pass = 0; pass < 2 && !best.service; ++pass) {
    for (const model::Service* s = model::next_signed_as(route_signing); s; s = model::next_signed_as(route_signing, s)) {
      if (!is_rest(*s)) continue;
      if (!first_rest) first_rest = s;
      if (pass == 0 && !host_has_prefix(out.host, model::atom(s->endpoint))) continue;
      bool s3_data = equals(model::service_name(*s), Text("s3"));
      if (virtual_host && !s3_data) continue;  // a bucket host only serves S3 itself
      model::match_routes(*s, request, out.path, virtual_host && s3_data, best);
    }
  }
  const model::Service* chosen = best.service ? best.service : first_rest;
  out.protocol = chosen && chosen->protocol == static_cast<std::uint8_t>(Protocol::rest_xml) ? Protocol::rest_xml
                                                                                              : Protocol::rest_json;
  bool s3_control = chosen && equals(model::service_name(*chosen), Text("s3control"));
  if (s3_control) copy_to(out.service, sizeof out.service, Text("s3control"));
  if (best.service) {
    char name[kNameMax];
    if (!model::route_operation(best.route, name, sizeof name)) out.uncertain = true;
    set_operation(out, Text(name, length_of(name)));
    // Two routes fit equally well and name different operations: which one the service runs
    // is not ours to guess. Reads (GET, HEAD) are named by the first; anything else is uncertain.
    if (best.tie && !equals(request.method, Text("GET")) && !equals(request.method, Text("HEAD"))) out.uncertain = true;
  } else {
    // An unknown path: a DELETE still deletes something (and an S3 POST may be a bulk delete),
    // so deny rules for the service apply.
    if (equals(request.method, Text("DELETE")) || (s3 && equals(request.method, Text("POST")))) out.uncertain = true;
  }
  if (s3 && !s3_control) s3_facts(request, virtual_host, bucket, out);
}

}  // namespace agentguard::core::http::detail
