#pragma once
// Reads the server name (SNI) and the ALPN offer from the first TLS record of a connection,
// before any key exchange, so the proxy can decide to decrypt or to splice.
#include <cstddef>
#include <string>
#include <vector>

namespace agentguard::proxy {

enum class HelloStatus { complete, need_more, not_tls, malformed };

struct ClientHello {
  std::string server_name;          // empty: the client sent none (an IP literal destination)
  std::vector<std::string> alpn;    // empty: no ALPN extension
};

// `data` is what the connection has sent so far (peeked, not consumed).
HelloStatus parse_client_hello(const unsigned char* data, std::size_t size, ClientHello& out);

}  // namespace agentguard::proxy
