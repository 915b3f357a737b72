#pragma once
// The request direction of an inspected connection: the client's plaintext goes through the same
// reassembler, classifier and API rules as the preload's hooks (docs/https-guard.md §1), and only
// allowed bytes reach the endpoint.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <optional>
#include <string>

#include "proxy_config.hpp"
#include "core/http/request_stream.hpp"

namespace agentguard::proxy {

// Where a guarded connection's bytes come from and where allowed ones go: a decrypted TLS
// connection (one endpoint), or a plain forward-proxy connection (each request names its host).
class RequestRelay {
 public:
  virtual ~RequestRelay() = default;
  // Some of the client's bytes (at least one). Throws std::system_error; asio::error::eof (or a
  // TLS truncation) at the end of the client's stream.
  virtual asio::awaitable<std::size_t> read_client(char* data, std::size_t size) = 0;
  // An allowed request is about to go out (`request` is valid only during the call; its head is
  // at the start of what the next write_upstream calls carry). Returns a reply for the client when
  // it cannot be forwarded (the connection then ends), else nothing.
  virtual asio::awaitable<std::optional<std::string>> open_request(const core::http::Request& request) = 0;
  // Bytes of allowed requests (or of a connection that is not HTTP), in order. Throws on failure.
  virtual asio::awaitable<void> write_upstream(const char* data, std::size_t size) = 0;
};

// Relays requests through `relay` until the client closes. Returns the reply to give the client
// when a request was refused (the refusal is already recorded), or nothing when the client
// finished.
asio::awaitable<std::optional<std::string>> guard_requests(RequestRelay& relay, ProxyShared& shared,
                                                           unsigned short client_port);

}  // namespace agentguard::proxy
