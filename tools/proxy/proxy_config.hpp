#pragma once
#include <asio/ssl/context.hpp>
#include <asio/thread_pool.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "idle_watch.hpp"
#include "session_ca.hpp"
#include "upstream_proxy.hpp"
#include "upstream_sessions.hpp"

namespace agentguard::proxy {

// What every connection of the session shares. One io_context thread uses it; only the report
// pool runs elsewhere, and it touches none of this.
struct ProxyShared {
  SessionCa* ca = nullptr;
  asio::ssl::context* server_tls = nullptr;    // toward the client: session leaves, HTTP/1.1 only
  asio::ssl::context* upstream_tls = nullptr;  // toward the endpoint: verified against the system store
  UpstreamSessions* upstream_sessions = nullptr;  // tickets for resuming toward endpoints
  // Fills upstream_tls's trust store; run once, before the first upstream handshake, and then
  // emptied. Parsing the system bundle takes ~50 ms, which a session that never reaches an
  // inspected endpoint should not pay at its start or its end.
  std::function<void()> load_upstream_trust;
  asio::thread_pool* report_pool = nullptr;    // spawning the gate must not stall other connections
  std::vector<std::string> inspect_hosts;
  const void* rules = nullptr;                 // the session's compiled API rules (our validated copy)
  std::size_t rules_size = 0;
  std::string rules_problem;                   // non-empty: every AWS request is refused with it
  unsigned short port = 0;                     // our listening port
  std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;  // a connection silent this long is closed
  std::optional<UpstreamProxy> https_upstream;  // the caller's HTTPS proxy: CONNECT tunnels go through it
  std::optional<UpstreamProxy> http_upstream;   // the caller's HTTP proxy: forwarded http:// requests go through it
};

}  // namespace agentguard::proxy
