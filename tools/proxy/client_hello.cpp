#include "client_hello.hpp"

namespace agentguard::proxy {
namespace {

struct Reader {
  const unsigned char* p;
  std::size_t n;
  bool ok = true;
  std::size_t u8() {
    if (n < 1) return fail();
    std::size_t v = p[0];
    p += 1, n -= 1;
    return v;
  }
  std::size_t u16() {
    if (n < 2) return fail();
    std::size_t v = (std::size_t{p[0]} << 8) | p[1];
    p += 2, n -= 2;
    return v;
  }
  std::size_t u24() {
    if (n < 3) return fail();
    std::size_t v = (std::size_t{p[0]} << 16) | (std::size_t{p[1]} << 8) | p[2];
    p += 3, n -= 3;
    return v;
  }
  Reader take(std::size_t k) {
    if (n < k) {
      fail();
      return Reader{p, 0, false};
    }
    Reader r{p, k};
    p += k, n -= k;
    return r;
  }
  std::size_t fail() {
    ok = false;
    n = 0;
    return 0;
  }
};

}  // namespace

HelloStatus parse_client_hello(const unsigned char* data, std::size_t size, ClientHello& out) {
  if (size == 0) return HelloStatus::need_more;
  if (data[0] != 0x16) return HelloStatus::not_tls;  // not a TLS handshake record
  if (size < 5) return HelloStatus::need_more;
  if (data[1] != 0x03) return HelloStatus::not_tls;
  const std::size_t record_len = (std::size_t{data[3]} << 8) | data[4];
  if (size < 5 + record_len) return HelloStatus::need_more;
  Reader record{data + 5, record_len};
  if (record.u8() != 1) return HelloStatus::malformed;  // not a ClientHello
  const std::size_t hello_len = record.u24();
  // A ClientHello split over several records (very large hellos) is not followed: refused.
  if (!record.ok || hello_len > record.n) return HelloStatus::malformed;
  Reader hello = record.take(hello_len);
  hello.take(2 + 32);            // legacy version, random
  hello.take(hello.u8());        // session id
  hello.take(hello.u16());       // cipher suites
  hello.take(hello.u8());        // compression methods
  if (!hello.ok) return HelloStatus::malformed;
  if (hello.n == 0) return HelloStatus::complete;  // no extensions
  Reader extensions = hello.take(hello.u16());
  while (extensions.ok && extensions.n > 0) {
    const std::size_t type = extensions.u16();
    Reader body = extensions.take(extensions.u16());
    if (!extensions.ok) break;
    if (type == 0) {  // server_name
      Reader list = body.take(body.u16());
      while (list.ok && list.n > 0) {
        const std::size_t name_type = list.u8();
        Reader name = list.take(list.u16());
        if (list.ok && name_type == 0) out.server_name.assign(reinterpret_cast<const char*>(name.p), name.n);
      }
      if (!list.ok) return HelloStatus::malformed;
    } else if (type == 16) {  // application_layer_protocol_negotiation
      Reader list = body.take(body.u16());
      while (list.ok && list.n > 0) {
        Reader proto = list.take(list.u8());
        if (list.ok) out.alpn.emplace_back(reinterpret_cast<const char*>(proto.p), proto.n);
      }
      if (!list.ok) return HelloStatus::malformed;
    }
  }
  return extensions.ok ? HelloStatus::complete : HelloStatus::malformed;
}

}  // namespace agentguard::proxy
