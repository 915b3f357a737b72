// Lookups in the generated AWS operation table (aws_operation_table.hpp): services by name, and
// REST route matching. Linear scans over a few hundred rows: no index to build at load time, no
// allocation, and a REST service has at most a few hundred routes.
#include "core/http/aws_operation_table.hpp"

#include "core/http/aws_internal.hpp"

namespace agentguard::core::http::model {

namespace {

// Fixed-size rows, not pointers: no relocations in the preload.
constexpr char kMethods[][8] = {"GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"};
constexpr std::uint8_t kMethodCount = 6;

std::uint32_t read_varint(std::uint32_t* at) {
  std::uint32_t value = 0;
  for (int shift = 0;; shift += 7) {
    std::uint8_t byte = kRoutes[(*at)++];
    value |= std::uint32_t{byte & 0x7Fu} << shift;
    if (!(byte & 0x80)) return value;
  }
}

// Whether atom `id` is exactly `wanted`, without measuring the atom first: service lookups scan
// every service's names, and a strlen per name was most of a proxied request's classification.
bool atom_is(std::uint32_t id, Text wanted) {
  if (id >= kAtomCount) return wanted.empty();
  std::uint32_t offset = kAtomOffsets[3 * id] | (std::uint32_t{kAtomOffsets[3 * id + 1]} << 8) |
                         (std::uint32_t{kAtomOffsets[3 * id + 2]} << 16);
  const char* s = kAtomPool + offset;
  for (std::size_t i = 0; i < wanted.size; ++i)
    if (s[i] != wanted.data[i] || s[i] == '\0') return false;
  return s[wanted.size] == '\0';
}

template <typename Pick>
const Service* find_service(Text wanted, Pick pick, const Service* from = nullptr) {
  if (wanted.empty()) return nullptr;
  std::uint32_t i = from ? static_cast<std::uint32_t>(from - kServices) + 1 : 0;
  for (; i < kServiceCount; ++i)
    if (atom_is(pick(kServices[i]), wanted)) return &kServices[i];
  return nullptr;
}

// The route's fixed parts, decoded once per candidate.
struct RouteView {
  std::uint8_t method = 0;
  std::uint32_t segments_at = 0;
  std::uint8_t segment_count = 0;
  std::uint32_t query_at = 0;
  std::uint8_t query_count = 0;
  std::uint32_t headers_at = 0;
  std::uint8_t header_count = 0;
  std::uint32_t words_at = 0;
  std::uint8_t word_count = 0;
  std::uint32_t end = 0;
};

RouteView read_route(std::uint32_t at) {
  RouteView r;
  r.method = kRoutes[at++];
  r.segment_count = kRoutes[at++];
  r.segments_at = at;
  for (std::uint8_t i = 0; i < r.segment_count; ++i) read_varint(&at);
  r.query_count = kRoutes[at++];
  r.query_at = at;
  for (std::uint8_t i = 0; i < 2 * r.query_count; ++i) read_varint(&at);
  r.header_count = kRoutes[at++];
  r.headers_at = at;
  for (std::uint8_t i = 0; i < r.header_count; ++i) read_varint(&at);
  r.word_count = kRoutes[at++];
  r.words_at = at;
  for (std::uint8_t i = 0; i < r.word_count; ++i) read_varint(&at);
  r.end = at;
  return r;
}

// One template segment against one path segment; counts literal matches.
bool segment_matches(std::uint32_t id, Text segment, int* literals) {
  if (segment.empty()) return false;
  if (id == kLabel) return true;
  // Literal segments compare after percent-decoding, as the service's router does, so
  // `/2015-03-31/%66unctions/x` is still DeleteFunction.
  detail::Decoded decoded;
  detail::decode_into(decoded, segment, false);
  if (decoded.truncated || !equals(decoded.view(), atom(id))) return false;
  ++*literals;
  return true;
}

// Matches the path against the route's segments; returns the number of literal segments
// matched, or -1. A greedy label `{x+}` takes one or more segments: those the segments after it
// (matched from the end of the path) leave. *greedy is set when the route has one.
int match_path(const RouteView& r, Text path, bool bucket_in_host, bool* greedy) {
  std::uint32_t at = r.segments_at;
  std::uint8_t first = 0;
  if (bucket_in_host) {
    if (r.segment_count == 0 || read_varint(&at) != kLabel) return -1;
    first = 1;
  }
  int literals = 0;
  std::size_t p = 0;
  for (std::uint8_t i = first; i < r.segment_count; ++i) {
    std::uint32_t id = read_varint(&at);
    if (p >= path.size || path[p] != '/') return -1;
    ++p;
    if (id == kGreedy) {
      *greedy = true;
      // The segments after the greedy label, matched against the path's last segments.
      std::uint32_t tail_ids[16];
      std::uint8_t tail = 0;
      for (std::uint8_t k = i + 1; k < r.segment_count; ++k) {
        if (tail == 16) return -1;
        tail_ids[tail++] = read_varint(&at);
      }
      std::size_t end = path.size;
      for (std::uint8_t k = tail; k > 0; --k) {
        std::size_t slash = end;
        while (slash > p && path[slash - 1] != '/') --slash;
        if (slash <= p) return -1;  // nothing left for the greedy label
        if (!segment_matches(tail_ids[k - 1], path.sub(slash, end - slash), &literals)) return -1;
        end = slash - 1;
      }
      return end > p ? literals : -1;  // the greedy part, non-empty
    }
    std::size_t end = find_char(path, '/', p);
    if (!segment_matches(id, path.sub(p, end - p), &literals)) return -1;
    p = end;
  }
  // Whatever is left may only be one trailing slash.
  return (p == path.size || (p + 1 == path.size && path[p] == '/')) ? literals : -1;
}

bool query_has(Text query, Text key, Text value) {
  FormCursor cursor{query};
  Text raw_key, raw_value;
  detail::Decoded decoded;
  while (cursor.next(&raw_key, &raw_value)) {
    detail::decode_into(decoded, raw_key, false);
    if (!equals(decoded.view(), key)) continue;
    if (value.empty()) return true;
    detail::decode_into(decoded, raw_value, false);
    if (equals(decoded.view(), value)) return true;
  }
  return false;
}

bool same_operation(std::uint32_t a, std::uint32_t b) {
  RouteView ra = read_route(a), rb = read_route(b);
  if (ra.word_count != rb.word_count) return false;
  std::uint32_t pa = ra.words_at, pb = rb.words_at;
  for (std::uint8_t i = 0; i < ra.word_count; ++i)
    if (read_varint(&pa) != read_varint(&pb)) return false;
  return true;
}

}  // namespace

Text atom(std::uint32_t id) {
  if (id >= kAtomCount) return Text();
  std::uint32_t offset = kAtomOffsets[3 * id] | (std::uint32_t{kAtomOffsets[3 * id + 1]} << 8) |
                         (std::uint32_t{kAtomOffsets[3 * id + 2]} << 16);
  const char* s = kAtomPool + offset;
  return Text(s, length_of(s));
}

const Service* next_signed_as(Text signing, const Service* from) {
  return find_service(signing, [](const Service& s) { return s.signing; }, from);
}
const Service* find_by_endpoint(Text endpoint) {
  return find_service(endpoint, [](const Service& s) { return s.endpoint; });
}
const Service* find_by_target(Text target) {
  return find_service(target, [](const Service& s) { return s.target; });
}
const Service* find_by_name(Text name) {
  return find_service(name, [](const Service& s) { return s.name; });
}
const Service* find_by_query_version(Text version) {
  for (std::uint32_t i = 0; i < kServiceCount; ++i) {
    const Service& s = kServices[i];
    bool query = (s.protocols & ((1u << 1) | (1u << 2))) != 0;
    if (query && s.version != kEmpty && atom_is(s.version, version)) return &s;
  }
  return nullptr;
}

std::uint32_t next_route(std::uint32_t route) { return read_route(route).end; }

Text route_method(std::uint32_t route) {
  std::uint8_t m = kRoutes[route];
  const char* s = m < kMethodCount ? kMethods[m] : "";
  return Text(s, length_of(s));
}

bool route_operation(std::uint32_t route, char* out, std::size_t cap) {
  RouteView r = read_route(route);
  std::uint32_t at = r.words_at;
  std::size_t n = 0;
  bool fits = true;
  for (std::uint8_t i = 0; i < r.word_count; ++i) {
    Text word = atom(read_varint(&at));
    for (std::size_t k = 0; k < word.size; ++k) {
      if (n + 1 < cap) out[n++] = word[k];
      else fits = false;
    }
  }
  if (cap) out[n] = '\0';
  return fits;
}

void match_routes(const Service& service, const Request& request, Text path, bool bucket_in_host, RouteMatch& best) {
  Text query = request.query();
  std::uint32_t at = service.route_begin;
  for (std::uint16_t n = 0; n < service.route_count; ++n) {
    std::uint32_t route = at;
    RouteView r = read_route(at);
    at = r.end;
    if (r.method >= kMethodCount || !equals(request.method, Text(kMethods[r.method], length_of(kMethods[r.method]))))
      continue;
    bool greedy = false;
    int literals = match_path(r, path, bucket_in_host, &greedy);
    if (literals < 0) continue;
    int conditions = 0;
    bool ok = true;
    std::uint32_t q = r.query_at;
    for (std::uint8_t i = 0; i < r.query_count && ok; ++i) {
      Text key = atom(read_varint(&q));
      std::uint32_t value_id = read_varint(&q);
      ok = query_has(query, key, value_id == kEmpty ? Text() : atom(value_id));
      ++conditions;
    }
    std::uint32_t h = r.headers_at;
    for (std::uint8_t i = 0; i < r.header_count && ok; ++i) {
      ok = request.has_header(atom(read_varint(&h)));
      ++conditions;
    }
    if (!ok) continue;
    int score = literals * 256 + conditions * 4 + (greedy ? 0 : 1);
    if (score > best.score) {
      best = RouteMatch{&service, route, score, false};
    } else if (score == best.score && !same_operation(route, best.route)) {
      best.tie = true;
    }
  }
}

}  // namespace agentguard::core::http::model
