#pragma once
// ALPN offers of guarded processes: HTTP/2 (and h3) are dropped, so every HTTPS connection
// speaks HTTP/1.1, which the guard can read. HTTP/2 must not become a way around inspection.
#include <cstddef>

namespace agentguard::preload {

// Whether a protocol id may be offered.
bool alpn_protocol_allowed(const unsigned char* name, std::size_t len);

// Filters an OpenSSL wire-format list (length-prefixed names) into `out`. Returns the new length.
// A list left empty becomes "http/1.1"; a malformed list is replaced by "http/1.1" as well.
std::size_t filter_alpn_wire(const unsigned char* in, std::size_t len, unsigned char* out, std::size_t cap);

}  // namespace agentguard::preload
