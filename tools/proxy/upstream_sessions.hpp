#pragma once
// TLS session resumption toward endpoints. A new connection to an endpoint the proxy has already
// reached (same verified name, same address and port) offers the last session ticket that
// endpoint gave, so the endpoint may skip its certificate and signature and the proxy the chain
// verification: most of a full handshake's cost. Only sessions of connections whose certificate
// was verified are kept; a ticket the endpoint no longer accepts just means a full handshake.
// Used from the one io_context thread only.
#include <openssl/ssl.h>

#include <map>
#include <string>

namespace agentguard::proxy {

class UpstreamSessions {
 public:
  // Turns on client-side session caching on ctx and installs the callback that keeps tickets.
  explicit UpstreamSessions(SSL_CTX* ctx);
  ~UpstreamSessions();
  UpstreamSessions(const UpstreamSessions&) = delete;
  UpstreamSessions& operator=(const UpstreamSessions&) = delete;

  // Before the handshake of `ssl`: tickets it receives are kept under `key`, and the last one
  // kept under it is offered.
  void prepare(SSL* ssl, const std::string& key);

 private:
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  std::map<std::string, SSL_SESSION*> sessions_;
};

}  // namespace agentguard::proxy
