#pragma once
// The AWS operation table generated from the botocore service models
// (tools/gen/aws_operation_table.py -> aws_operation_table.cpp) and the lookups the classifier
// makes in it. Plain read-only data without pointers: no relocation in the preload.
//
// A name is an id into one pool of NUL-terminated names. Id 0 is a one-segment URI label `{x}`,
// id 1 a greedy label `{x+}`, id 2 the empty name. A route (REST services only) is bytes:
//   method (index into GET PUT POST DELETE HEAD PATCH)
//   n, then n path segment ids (varint)               literal or label
//   n, then n pairs of (query key id, value id)       value id 2: the key alone must be present
//   n, then n header ids (varint, lower case)         a required member sent as a header
//   n, then n word ids (varint)                       the operation name, CamelCase words
#include <cstddef>
#include <cstdint>

#include "core/http/request_stream.hpp"
#include "core/http/text.hpp"

namespace agentguard::core::http::model {

struct Service {
  std::uint16_t name;       // botocore's service name ("opensearch")
  std::uint16_t signing;    // SigV4 signing name, the credential scope's service ("es")
  std::uint16_t endpoint;   // endpoint prefix, the host's first label(s) ("es", "api.ecr")
  std::uint16_t target;     // X-Amz-Target prefix (json), or 2
  std::uint16_t version;    // API version, the `Version=` form field of query services, or 2
  std::uint8_t protocol;    // index into to_string(Protocol) order: 1 query ... 6 rpc-v2-cbor
  std::uint8_t protocols;   // bit per protocol the model lists (CloudWatch: cbor, json, query)
  std::uint32_t route_begin;
  std::uint32_t route_bytes;
  std::uint16_t route_count;
};

extern const char kBotocoreVersion[];
extern const std::uint32_t kServiceCount;
extern const std::uint32_t kAtomCount;
extern const std::uint32_t kOperationCount;
// The tables (~255 KiB) go to a section of their own, after .rodata: in the middle of it they put
// the exec path's few constants in pages five fault-around windows apart, and a forked child that
// launches something faulted on each (core/base/hot_path.hpp). Only the HTTP classifier reads them.
#define AGENTGUARD_MODEL_TABLE __attribute__((section(".agentguard_model")))
AGENTGUARD_MODEL_TABLE extern const char kAtomPool[];
AGENTGUARD_MODEL_TABLE extern const std::uint8_t kAtomOffsets[];
AGENTGUARD_MODEL_TABLE extern const std::uint8_t kRoutes[];
AGENTGUARD_MODEL_TABLE extern const Service kServices[];

inline constexpr std::uint32_t kLabel = 0, kGreedy = 1, kEmpty = 2;

Text atom(std::uint32_t id);
inline Text service_name(const Service& s) { return atom(s.name); }
inline Text signing_name(const Service& s) { return atom(s.signing); }

// Services by one of their names; `from` continues after a previous hit. nullptr when none.
const Service* next_signed_as(Text signing, const Service* from = nullptr);
const Service* find_by_endpoint(Text endpoint_prefix);
const Service* find_by_target(Text target_prefix);
const Service* find_by_query_version(Text version);  // query/ec2 services only
const Service* find_by_name(Text name);

// The best REST route of `service` for a request. Specificity decides between templates that
// both match: more literal segments, then more query/header conditions, then no greedy label.
// `bucket_in_host`: S3 virtual-hosted style, the template's leading `{Bucket}` is the host.
struct RouteMatch {
  const Service* service = nullptr;
  std::uint32_t route = 0;  // byte offset in kRoutes
  int score = -1;
  bool tie = false;         // another route with a different name matched as well
};
void match_routes(const Service& service, const Request& request, Text path, bool bucket_in_host, RouteMatch& best);

// The operation name of a route, written into `out` (NUL-terminated). False if it did not fit.
bool route_operation(std::uint32_t route, char* out, std::size_t cap);
Text route_method(std::uint32_t route);

// Iterates the routes of a service: route offsets from route_begin, `next_route` after each.
std::uint32_t next_route(std::uint32_t route);

}  // namespace agentguard::core::http::model
