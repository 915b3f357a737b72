#include "tls_alpn.hpp"

#include <string.h>

namespace agentguard::preload {
namespace {

constexpr unsigned char kHttp11Wire[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

std::size_t http11_only(unsigned char* out, std::size_t cap) {
  if (cap < sizeof kHttp11Wire) return 0;
  memcpy(out, kHttp11Wire, sizeof kHttp11Wire);
  return sizeof kHttp11Wire;
}

}  // namespace

bool alpn_protocol_allowed(const unsigned char* name, std::size_t len) {
  if (len >= 2 && name[0] == 'h' && (name[1] == '2' || name[1] == '3')) return false;  // h2, h2c, h3, h3-29
  return true;
}

std::size_t filter_alpn_wire(const unsigned char* in, std::size_t len, unsigned char* out, std::size_t cap) {
  std::size_t kept = 0;
  std::size_t i = 0;
  while (i < len) {
    std::size_t n = in[i];
    if (n == 0 || i + 1 + n > len) return http11_only(out, cap);
    if (alpn_protocol_allowed(in + i + 1, n)) {
      if (kept + 1 + n > cap) return http11_only(out, cap);
      memcpy(out + kept, in + i, 1 + n);
      kept += 1 + n;
    }
    i += 1 + n;
  }
  return kept > 0 ? kept : http11_only(out, cap);
}

}  // namespace agentguard::preload
