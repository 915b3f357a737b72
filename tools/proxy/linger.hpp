#pragma once
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

namespace agentguard::proxy {

// After our last bytes to a client: its unread bytes are read and dropped until it closes (at
// most a few seconds), so closing our socket does not reset the connection (a TCP RST) before
// the client has read what we sent, such as a refusal's reply.
asio::awaitable<void> linger(asio::ip::tcp::socket& socket);

}  // namespace agentguard::proxy
