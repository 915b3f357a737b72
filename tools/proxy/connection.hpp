#pragma once
// One client connection: how it reached us (redirected at connect by the preload, or an HTTP
// CONNECT from a client that honours HTTPS_PROXY), then either decrypted and inspected, or
// spliced to its destination untouched.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "proxy_config.hpp"

namespace agentguard::proxy {

// The preload's redirect header, sent first on a redirected connection:
// "AGP1", family (4 or 6), a zero byte, the port (network order), 16 address bytes.
inline constexpr char kRedirectMagic[4] = {'A', 'G', 'P', '1'};
inline constexpr std::size_t kRedirectHeaderSize = 24;

asio::awaitable<void> serve_connection(asio::ip::tcp::socket client, ProxyShared& shared);

}  // namespace agentguard::proxy
