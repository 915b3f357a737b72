#pragma once
// The request direction of an inspected connection: the client's plaintext goes through the same
// reassembler, classifier and API rules as the preload's hooks (docs/https-guard.md §1), and only
// allowed bytes reach the endpoint.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <optional>
#include <string>

#include "proxy_config.hpp"
#include "tls_stream.hpp"

namespace agentguard::proxy {

// Relays requests from `client` to `upstream` until the client closes. Returns the reply to
// give the client when a request was refused (the refusal is already recorded), or nothing when
// the client finished.
asio::awaitable<std::optional<std::string>> guard_requests(TlsStream& client, TlsStream& upstream, ProxyShared& shared,
                                                           unsigned short client_port);

}  // namespace agentguard::proxy
