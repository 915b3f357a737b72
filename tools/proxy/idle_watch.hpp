#pragma once
// The per-connection idle timeout: a connection on which no byte moves, either way, for the
// session's idle timeout is closed, so a client that opens connections and never speaks (or
// stops half-way) cannot hold the proxy's sockets and buffers forever. It applies until the
// connection is decided, and to inspected and forward-proxy (HTTP) connections.
#include <asio/awaitable.hpp>

#include <chrono>

namespace agentguard::proxy {

// Set by whoever moves bytes on the connection (a socket read or write that made progress);
// cleared by the watch. A flag, not a clock read: the kept-alive request path stays a store.
struct Activity {
  bool seen = false;
  // A spliced connection (not HTTP, or TLS to a host we do not inspect: SSH, databases, pinned
  // clients) is the program's own business and may rightly sit idle for hours; it is not timed
  // out, and TCP keep-alive on both its sockets finds a peer that went away instead.
  bool exempt = false;
};

// The default: longer than the keep-alive idle time of the SDKs' own pools (Go's net/http and the
// Go SDK close idle connections after 90 s; botocore/urllib3 and node's agents check a pooled
// connection before reusing it), so a kept-alive client normally closes first.
inline constexpr std::chrono::milliseconds kDefaultIdleTimeout{std::chrono::seconds(120)};

// Returns once nothing has moved for `timeout` (checked every quarter of it: a silent connection
// is closed between `timeout` and 1.25 x `timeout` after its last byte). Used as
// `co_await (work || watch_idle(...))`: whichever ends first cancels the other.
asio::awaitable<void> watch_idle(Activity& activity, std::chrono::milliseconds timeout);

}  // namespace agentguard::proxy
